package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
)

func TestReadCityWorkloads(t *testing.T) {
	ws, err := api.ReadWorkloads("../deploy/workloads/city.yaml")
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	systems := map[string]bool{}
	for _, w := range ws {
		systems[w.System] = true
		if len(w.Profile) != 24 {
			t.Errorf("%s: got %d profile factors, want 24", w.Name, len(w.Profile))
		}
	}
	for _, s := range []string{"citizen-portal", "medical-records", "e-school", "document-management", "video-archive", "city-mail"} {
		if !systems[s] {
			t.Errorf("system %s: missing", s)
		}
	}
}

func TestReadWorkloadsRejects(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown field", "workloads:\n  - name: a\n    replicas: 1\n    wats: 5\n", "wats"},
		{"invalid request", "workloads:\n  - name: a\n    replicas: 0\n", "workloads[0] (a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "w.yaml")
			if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := api.ReadWorkloads(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
