package deploy_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/dashboards"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// The provisioning files of Grafana, relative to this folder.
var (
	grafanaDatasources = filepath.Join("grafana", "provisioning", "datasources", "dcplane.yaml")
	grafanaDashboards  = filepath.Join("grafana", "provisioning", "dashboards", "dcplane.yaml")
)

// TestGrafanaProvisioning: the data source is a Prometheus at host:port,
// the default one (the dashboards' $datasource variable picks it), and
// the dashboards provider reads the folder the README copies the
// dashboards into.
func TestGrafanaProvisioning(t *testing.T) {
	var dsf struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, URL string
			IsDefault       bool `yaml:"isDefault"`
		}
	}
	readYAML(t, grafanaDatasources, &dsf)
	if dsf.APIVersion != 1 || len(dsf.Datasources) != 1 {
		t.Fatalf("%s: got apiVersion %d and %d data sources, want 1 and 1", grafanaDatasources, dsf.APIVersion, len(dsf.Datasources))
	}
	d := dsf.Datasources[0]
	u, err := url.Parse(d.URL)
	if d.Type != "prometheus" || !d.IsDefault || err != nil || u.Port() == "" {
		t.Errorf("%s: got type %q, default %v, url %q (%v); want the default prometheus at http://host:port",
			grafanaDatasources, d.Type, d.IsDefault, d.URL, err)
	}
	var dbf struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string
			Options struct{ Path string }
		}
	}
	readYAML(t, grafanaDashboards, &dbf)
	if dbf.APIVersion != 1 || len(dbf.Providers) != 1 || dbf.Providers[0].Type != "file" {
		t.Fatalf("%s: got %+v, want apiVersion 1 and one file provider", grafanaDashboards, dbf)
	}
	path := dbf.Providers[0].Options.Path
	readme := readFile(t, "README.md")
	if !regexp.MustCompile(`cp dashboards/\*\.json ` + regexp.QuoteMeta(path) + `/(\s|$)`).MatchString(readme) {
		t.Errorf("README.md: got no `cp dashboards/*.json %s/`, the folder %s provisions", path, grafanaDashboards)
	}
	for _, f := range []string{grafanaDatasources, grafanaDashboards} {
		if !strings.Contains(readme, filepath.ToSlash(f)) {
			t.Errorf("README.md: got no mention of %s, want its install step", f)
		}
	}
}

// panelQuery is one query of a dashboard's panel.
type panelQuery struct {
	file, panel, expr string
}

// variable is a dashboard's query variable: label_values(series, label).
type variable struct{ name, series, label string }

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_]+)\)$`)

// dashboardQueries returns every panel query and the query variables of
// the dashboards, in order.
func dashboardQueries(t *testing.T) ([]panelQuery, []variable) {
	t.Helper()
	files, err := fs.Glob(dashboards.FS, "*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("got dashboards %v (%v), want the six", files, err)
	}
	var qs []panelQuery
	var vars []variable
	for _, f := range files {
		b, _ := dashboards.FS.ReadFile(f)
		var d struct {
			Panels []struct {
				Title   string
				Targets []struct{ Expr string }
			}
			Templating struct {
				List []struct{ Name, Type, Query string }
			}
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				qs = append(qs, panelQuery{f, p.Title, tg.Expr})
			}
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValues.FindStringSubmatch(v.Query)
			if m == nil {
				t.Fatalf("%s: variable %s: got query %q, want label_values(series, label)", f, v.Name, v.Query)
			}
			if !slices.ContainsFunc(vars, func(w variable) bool { return w == variable{v.Name, m[1], m[2]} }) {
				vars = append(vars, variable{v.Name, m[1], m[2]})
			}
		}
	}
	return qs, vars
}

// sample is one series of an instant query's answer.
type sample struct {
	Metric map[string]string
	Value  [2]any
}

func (s sample) value(t *testing.T) float64 {
	v, err := strconv.ParseFloat(s.Value[1].(string), 64)
	if err != nil {
		t.Fatalf("sample %v: %v", s, err)
	}
	return v
}

func samples(t *testing.T, prom, q string) []sample {
	t.Helper()
	var out []sample
	for _, raw := range query(t, prom, q) {
		var s sample
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestDashboardsOnDemo runs Debian's Prometheus against a running demo
// in which one rack is over its budget and another stale (a PDU of it
// silenced), then runs every panel's query of every dashboard through
// Prometheus' HTTP API, the variables set to real values (the hall and row
// of the stale rack): each must return data. So a metric renamed, a query
// Prometheus cannot run or a rollup that a stale rack blanks fails here.
// The heat map must show the stale rack as stale and the other over 100 %.
func TestDashboardsOnDemo(t *testing.T) {
	promBin := peer.Require(t, "prometheus", "prometheus")
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer am.Close()
	site := inventory.Reference(8)
	row := site.Halls[0].Rows[0]
	over, stale := row.Racks[0], row.Racks[1]
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.Start(ctx, demo.Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: time.Second, Level: 0.5,
		Overload: []string{over.ID}, Silence: []string{stale.PDUs[0].ID}, Alertmanagers: []string{am.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Close() }()
	staleSeries := `dcplane_rack_telemetry_stale{hall="` + site.Halls[0].ID + `",rack="` + stale.ID + `",row="` + row.ID + `"} 1`
	// Every series the panels read exists once the other racks are
	// measured, the stale one is marked, a Raft commit was timed and an
	// alert posted to the Alertmanager.
	waitFor(t, "the other racks measured, "+stale.ID+" stale, alerts posted", 30*time.Second, func() bool {
		m := get(t, d.URL()+"/metrics")
		return strings.Contains(m, "\ndcplane_rack_power_watts{") && strings.Contains(m, "\n"+staleSeries) &&
			strings.Contains(m, "\ndcplane_raft_commit_time_seconds_count ") &&
			strings.Contains(m, "\ndcplane_notify_latency_seconds_count{")
	})
	prom := startPrometheus(t, promBin, strings.TrimPrefix(d.URL(), "http://"))
	queries, vars := dashboardQueries(t)
	values := map[string]string{}
	want := map[string]string{"hall": site.Halls[0].ID, "row": row.ID}
	for _, v := range vars {
		series := substitute(v.series, values)
		waitFor(t, "values of $"+v.name, 30*time.Second, func() bool {
			return slices.Contains(labelValuesOf(t, prom, series, v.label), want[v.name])
		})
		values[v.name] = want[v.name]
	}
	// Rates and increases need two samples in their window: wait for
	// three scrapes, then ask each query once.
	waitFor(t, "three scrapes of the demo", 30*time.Second, func() bool {
		return len(samples(t, prom, `count_over_time(up{job="dcplane-controller"}[5m]) >= 3`)) > 0
	})
	results := map[panelQuery][]sample{}
	for _, q := range queries {
		expr := substitute(q.expr, values)
		if strings.Contains(expr, "$") {
			t.Fatalf("%s: %q: %s: a variable is left after substitution", q.file, q.panel, expr)
		}
		if results[q] = samples(t, prom, expr); len(results[q]) == 0 {
			t.Errorf("%s: %q: %s: got no data, want some (hall %s, row %s, rack %s stale)",
				q.file, q.panel, expr, values["hall"], values["row"], stale.ID)
		}
	}
	t.Logf("%d panel queries of %d variables' values answered by Prometheus", len(queries), len(vars))
	checkHeatMap(t, results, stale.ID, over.ID)
}

// checkHeatMap: every query that shows racks as a percentage of their
// budget (100 * … dcplane_rack_budget_watts, the overloaded rack over 100)
// shows the stale rack as -1, which the
// panels map to STALE, and the rack heat map has such a query.
func checkHeatMap(t *testing.T, results map[panelQuery][]sample, stale, over string) {
	t.Helper()
	heatMap := false
	for q, ss := range results {
		var overShown, staleShown bool
		for _, s := range ss {
			switch v := s.value(t); {
			case s.Metric["rack"] == stale && v == -1:
				staleShown = true
			case s.Metric["rack"] == over && v > 100:
				overShown = true
			}
		}
		if !overShown || !strings.HasPrefix(q.expr, "100 * ") || !strings.Contains(q.expr, "dcplane_rack_budget_watts") {
			continue // not a share of racks' budgets
		}
		heatMap = heatMap || q.file == "dcplane-racks.json"
		if !staleShown {
			t.Errorf("%s: %q: %s: shows %s over 100 %% of its budget but not %s as -1 (STALE)", q.file, q.panel, q.expr, over, stale)
		}
	}
	if !heatMap {
		t.Errorf("dcplane-racks.json: got no query showing %s over 100 %% of its budget, want the heat map to", over)
	}
}

// substitute sets the dashboard variables in a query, as Grafana does for
// a single value.
func substitute(expr string, values map[string]string) string {
	for name, v := range values {
		expr = strings.ReplaceAll(expr, "${"+name+"}", v)
		expr = strings.ReplaceAll(expr, "$"+name, v)
	}
	return expr
}

// labelValuesOf is Grafana's label_values(series, label) through
// Prometheus' series API.
func labelValuesOf(t *testing.T, prom, series, label string) []string {
	t.Helper()
	var r struct{ Data []map[string]string }
	if err := json.Unmarshal([]byte(get(t, prom+"/api/v1/series?match[]="+url.QueryEscape(series))), &r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range r.Data {
		if v, ok := s[label]; ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
