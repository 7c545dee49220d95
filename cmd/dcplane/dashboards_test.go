package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/dashboards"

	"github.com/dcplane/dcplane/internal/peer"
)

// dashboardExprs returns the PromQL queries of every dashboard: panel
// targets and template variable queries, by file.
func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	files, err := fs.Glob(dashboards.FS, "*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("got dashboards %v (%v), want at least one", files, err)
	}
	for _, f := range files {
		b, err := dashboards.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Targets []struct{ Expr string } `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct{ Type, Query string } `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				out[f] = append(out[f], tg.Expr)
			}
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" {
				out[f] = append(out[f], v.Query)
			}
		}
	}
	return out
}

var metricName = regexp.MustCompile(`\bdcplane_[a-z0-9_]+`)

// absentInDemo are metrics the controller exports only once known, which a
// demo just started cannot know: the check accepts them absent from its
// scrape (controller/*_metrics_test.go compare what they export).
var absentInDemo = map[string]string{
	"dcplane_forecast_time_to_full_seconds":          "a forecast needs three days of history",
	"dcplane_forecast_beyond_horizon":                "a forecast needs three days of history",
	"dcplane_rack_inlet_temperature_celsius":         "the simulated PDUs have no temperature probe",
	"dcplane_cooling_unit_inlet_temperature_celsius": "the simulated in-row units' rack inlet row is a maximum, which the apc-inrow profile skips",
	"dcplane_cooling_unit_running":                   "the apc-inrow profile reads no running state",
}

// checkDashboards checks the dashboards against a scrape of the running
// demo: every metric they name must be exported, and every query must be
// valid PromQL according to promtool.
func checkDashboards(t *testing.T, scraped string) {
	exported := map[string]bool{}
	for _, line := range strings.Split(scraped, "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "#" && f[1] == "TYPE" {
			exported[f[2]] = true
			switch f[3] {
			case "histogram":
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					exported[f[2]+s] = true
				}
			case "summary":
				for _, s := range []string{"_sum", "_count"} {
					exported[f[2]+s] = true
				}
			}
		}
	}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboards\n  rules:\n")
	n := 0
	for file, exprs := range dashboardExprs(t) {
		for _, e := range exprs {
			for _, m := range metricName.FindAllString(e, -1) {
				if !exported[m] && absentInDemo[m] == "" {
					t.Errorf("%s: query %q uses %s, which the controller and agent do not export", file, e, m)
				}
			}
			if strings.HasPrefix(e, "label_values(") {
				continue // Grafana's, not PromQL
			}
			n++
			q, _ := json.Marshal(strings.ReplaceAll(e, "$hall", ".*"))
			fmt.Fprintf(&rules, "  - record: dashboard:query_%d\n    expr: %s\n", n, q)
		}
	}
	promtool := peer.Require(t, "promtool", "prometheus")
	path := filepath.Join(t.TempDir(), "dashboards.rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboards' queries: %v\n%s", err, out)
	}
}
