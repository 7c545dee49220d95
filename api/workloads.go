package api

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Workloads is a file of placement requests, such as
// deploy/workloads/city.yaml.
type Workloads struct {
	Workloads []PlacementRequest `yaml:"workloads"`
}

// ReadWorkloads reads a workloads file, refusing fields it does not know and
// requests the engine would refuse, each named with its position.
func ReadWorkloads(path string) ([]PlacementRequest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("workloads: %w", err)
	}
	var w Workloads
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("workloads %s: %w", path, err)
	}
	for i := range w.Workloads {
		if err := w.Workloads[i].engine().Validate(); err != nil {
			return nil, fmt.Errorf("workloads %s: workloads[%d] (%s): %w", path, i, w.Workloads[i].Name, err)
		}
	}
	return w.Workloads, nil
}
