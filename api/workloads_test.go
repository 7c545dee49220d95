package api_test

import (
	"errors"
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

var rejectedWorkloads = []struct{ name, doc, want string }{
	{"unknown field", "workloads:\n  - name: a\n    replicas: 1\n    wats: 5\n", "wats"},
	{"invalid request", "workloads:\n  - name: a\n    replicas: 0\n", "workloads[0] (a)"},
	{"not YAML", "workloads: [\n", "workloads "},
}

func TestReadWorkloadsRejects(t *testing.T) {
	for _, tt := range rejectedWorkloads {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "w.yaml")
			if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := api.ReadWorkloads(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("got %v, want an error naming %s and the file", err, tt.want)
			}
		})
	}
	if _, err := api.ReadWorkloads(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want os.ErrNotExist", err)
	}
}

func TestDecodeWorkloads(t *testing.T) {
	ws, err := api.DecodeWorkloads("w.yaml", strings.NewReader("workloads:\n  - name: a\n    replicas: 2\n    watts: 100\n"))
	if err != nil || len(ws) != 1 || ws[0].Name != "a" || ws[0].Replicas != 2 || ws[0].Watts != 100 {
		t.Errorf("got %+v, %v; want one workload a of 2 replicas of 100 W", ws, err)
	}
	for _, tt := range rejectedWorkloads {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.DecodeWorkloads("w.yaml", strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "w.yaml") {
				t.Errorf("got %v, want an error naming %s and w.yaml", err, tt.want)
			}
		})
	}
}
