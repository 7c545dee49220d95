package deploy_test

import (
	"bytes"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/deploy"
)

// TestCityWorkloads keeps the embedded workloads file valid: every request
// one the engine takes, with a 24-hour profile, and names unique (the demo
// keys its placements by name).
func TestCityWorkloads(t *testing.T) {
	ws, err := api.DecodeWorkloads(deploy.CityWorkloadsName, bytes.NewReader(deploy.CityWorkloads))
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if len(ws) == 0 {
		t.Fatal("got no workloads, want the city's")
	}
	seen := map[string]bool{}
	for _, w := range ws {
		if seen[w.Name] {
			t.Errorf("%s: got the name twice, want each once", w.Name)
		}
		seen[w.Name] = true
		if len(w.Profile) != 24 {
			t.Errorf("%s: got %d profile factors, want 24", w.Name, len(w.Profile))
		}
	}
}
