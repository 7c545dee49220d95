package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestCommittedFilesAreCurrent runs the generator into a temporary folder
// and compares what it writes with dashboards/*.json: a dashboard edited in
// Go but not regenerated, edited in JSON by hand, or no longer generated
// fails.
func TestCommittedFilesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	made, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(made) != len(boards) {
		t.Fatalf("got %d files (%v), want %d", len(made), err, len(boards))
	}
	for _, m := range made {
		name := filepath.Base(m)
		want, _ := os.ReadFile(m)
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Errorf("dashboards/%s: %v: run go generate ./dashboards", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s differs from what dashboards/gen makes: run go generate ./dashboards", name)
		}
	}
	committed, _ := filepath.Glob(filepath.Join("..", "*.json"))
	for _, c := range committed {
		if !slices.ContainsFunc(boards, func(b board) bool { return b.file == filepath.Base(c) }) {
			t.Errorf("dashboards/%s is not generated: delete it, or add it to dashboards/gen", filepath.Base(c))
		}
	}
}

// TestSchema: every committed dashboard decodes strictly into the SDK's
// dashboard schema (no unknown field, none of a wrong type, every panel
// and query of a known plugin) and passes its validation.
func TestSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for _, b := range boards {
		raw, err := os.ReadFile(filepath.Join("..", b.file))
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		if err := failed(d.UnmarshalJSONStrict(raw)); err != nil {
			t.Errorf("dashboards/%s: %v", b.file, err)
			continue
		}
		if err := failed(d.Validate()); err != nil {
			t.Errorf("dashboards/%s: %v", b.file, err)
		}
	}
}

// failed is err unless it is an empty cog.BuildErrors, which the SDK
// returns for none.
func failed(err error) error {
	if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
		return nil
	}
	return err
}

// dash is the part of a dashboard's JSON the tests read.
type dash struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Mappings []struct {
					Options map[string]struct{ Text string } `json:"options"`
				} `json:"mappings"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
	} `json:"panels"`
}

func rendered(t *testing.T) map[string]dash {
	t.Helper()
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dash{}
	for name, b := range files {
		var d dash
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = d
	}
	return out
}

// objectMetric names the metrics of a rack, row, hall or PDU.
var objectMetric = regexp.MustCompile(`dcplane_(rack|row|hall|pdu)_[a-z_]+(\{[^}]*\})?`)

// TestQueriesFollowTheVariables: every query of a rack, row, hall or PDU
// metric is either site-wide (no selector) or keeps to the $hall variable.
// The end-to-end test sets $hall to the hall with a stale rack, so that it
// sees any rollup of that hall going blank; a site-wide query includes
// that hall anyway.
func TestQueriesFollowTheVariables(t *testing.T) {
	for name, d := range rendered(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				for _, m := range objectMetric.FindAllStringSubmatch(tg.Expr, -1) {
					if m[2] != "" && !strings.Contains(m[2], `hall=~"$hall"`) {
						t.Errorf("%s: %q: %s: got selector %s, want none or one with hall=~\"$hall\"", name, p.Title, tg.Expr, m[2])
					}
				}
			}
		}
	}
}

// TestPanels: uids and titles are unique; every panel but a row has
// queries, each with its own reference; panel IDs are unique; every panel
// that shows rackShare maps its stale value to STALE.
func TestPanels(t *testing.T) {
	uids := map[string]bool{}
	for name, d := range rendered(t) {
		if d.UID == "" || uids[d.UID] {
			t.Errorf("%s: got uid %q, want one of its own", name, d.UID)
		}
		uids[d.UID] = true
		ids, titles := map[int]bool{}, map[string]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("%s: %q: got id %d, want one of its own", name, p.Title, p.ID)
			}
			ids[p.ID] = true
			if titles[p.Title] {
				t.Errorf("%s: two panels titled %q", name, p.Title)
			}
			titles[p.Title] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: %q: got no queries, want some", name, p.Title)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: %q: got refId %q, want one of its own", name, p.Title, tg.RefID)
				}
				refs[tg.RefID] = true
				if strings.Contains(tg.Expr, rackShare(inRow)) && !mapsStale(p.FieldConfig.Defaults.Mappings) {
					t.Errorf("%s: %q shows racks' shares without mapping %d to STALE", name, p.Title, staleValue)
				}
			}
		}
	}
}

func mapsStale(ms []struct {
	Options map[string]struct{ Text string } `json:"options"`
}) bool {
	for _, m := range ms {
		if m.Options["-1"].Text == "STALE" {
			return true
		}
	}
	return false
}
