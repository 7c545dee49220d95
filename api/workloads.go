package api

import (
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Workloads is a file of placement requests, such as
// deploy/workloads/city.yaml.
type Workloads struct {
	Workloads []PlacementRequest `yaml:"workloads"`
}

// ReadWorkloads reads the workloads file at path (see DecodeWorkloads).
func ReadWorkloads(path string) ([]PlacementRequest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workloads: %w", err)
	}
	defer f.Close()
	return DecodeWorkloads(path, f)
}

// DecodeWorkloads reads a workloads file from r, refusing fields it does not
// know and requests the engine would refuse, each named with its position;
// name (a path, say) names the file in errors.
func DecodeWorkloads(name string, r io.Reader) ([]PlacementRequest, error) {
	var w Workloads
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("workloads %s: %w", name, err)
	}
	for i := range w.Workloads {
		if err := w.Workloads[i].engine().Validate(); err != nil {
			return nil, fmt.Errorf("workloads %s: workloads[%d] (%s): %w", name, i, w.Workloads[i].Name, err)
		}
	}
	return w.Workloads, nil
}
