package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
)

// fakeController is an api.Controller whose report a test sets; the CLI
// reaches it through the real API server and client.
type fakeController struct {
	report func() (*power.Report, error)
}

func (f *fakeController) Report(context.Context) (*power.Report, error) { return f.report() }
func (f *fakeController) Site(context.Context) (*inventory.Site, error) {
	return nil, api.ErrNoInventory
}
func (f *fakeController) PutSite(context.Context, *inventory.Site) (uint64, error) {
	return 0, api.ErrNotLeader
}
func (f *fakeController) Ingest(context.Context, *api.Batch) (int, error) { return 0, api.ErrNotLeader }

func ptr(v float64) *float64 { return &v }

// known returns a rack whose draw is known.
func known(id, row string, budget, draw float64, status string) power.Rack {
	return power.Rack{ID: id, Hall: "H1", Row: row, BudgetWatts: budget, DrawWatts: ptr(draw), HeadroomWatts: ptr(budget - draw),
		UsedRatio: ptr(draw / budget), Status: status}
}

var seen = time.Date(2026, 11, 23, 11, 59, 58, 0, time.UTC)

// tablesReport has racks in no useful order: the CLI sorts them.
func tablesReport() *power.Report {
	stale := power.Rack{ID: "K-C", Hall: "H1", Row: "R2", BudgetWatts: 15000, Status: power.StatusStale, PDUs: []power.PDU{
		{ID: "K-C-PA", Feed: "A", PowerWatts: ptr(6250), CapacityWatts: 17664, LastSeen: &seen},
		{ID: "K-C-PB", Feed: "B", CapacityWatts: 17664, Stale: true, StaleReason: "never-seen"},
	}}
	ok := known("K-A", "R1", 15000, 7500, power.StatusOK)
	ok.PDUs = []power.PDU{{ID: "K-A-PA", Feed: "A", PowerWatts: ptr(3700), CapacityWatts: 17664, LastSeen: &seen},
		{ID: "K-A-PB", Feed: "B", PowerWatts: ptr(3800), CapacityWatts: 17664, LastSeen: &seen}}
	return &power.Report{At: seen,
		Site: power.Rollup{ID: "city-dpc", Racks: 5, StaleRacks: 1, BudgetWatts: 70000, DrawWatts: 41000},
		Halls: []power.Rollup{
			{ID: "H1", Racks: 5, StaleRacks: 1, BudgetWatts: 70000, DrawWatts: 41000},
		},
		Rows: []power.Rollup{
			{ID: "R1", Hall: "H1", Racks: 3, BudgetWatts: 40000, DrawWatts: 27000, Complete: true, HeadroomWatts: ptr(13000), UsedRatio: ptr(0.675)},
			{ID: "R2", Hall: "H1", Racks: 2, StaleRacks: 1, BudgetWatts: 30000, DrawWatts: 14000},
		},
		Racks: []power.Rack{
			known("K-E", "R1", 15000, 7500, power.StatusOK),
			ok,
			known("K-B", "R2", 15000, 14000, power.StatusWarn),
			stale,
			known("K-D", "R1", 10000, 12000, power.StatusOver),
		}}
}

// run runs the CLI against a controller serving rep and returns what it
// printed.
func run(t *testing.T, rep *power.Report, args ...string) string {
	t.Helper()
	fc := &fakeController{report: func() (*power.Report, error) { return rep, nil }}
	ts := httptest.NewServer(api.NewServer(fc, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	root, _ := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(append(args, "--controller", ts.URL))
	root.SetOut(&out)
	root.SetErr(&out)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("dcplane %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestRackLs checks the rack list people read: kW with two decimals, "-"
// for what is unknown, STALE racks first, then the most loaded, ties by
// ID, numbers right-aligned.
func TestRackLs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rack", "ls"}, `
RACK  ROW  DRAW kW  BUDGET kW  USED %  STATUS
K-C   R2         -      15.00       -  STALE
K-D   R1     12.00      10.00   120.0  OVER
K-B   R2     14.00      15.00    93.3  warn
K-A   R1      7.50      15.00    50.0  ok
K-E   R1      7.50      15.00    50.0  ok
`},
		{[]string{"rack", "ls", "--row", "R2"}, `
RACK  ROW  DRAW kW  BUDGET kW  USED %  STATUS
K-C   R2         -      15.00       -  STALE
K-B   R2     14.00      15.00    93.3  warn
`},
		{[]string{"rack", "ls", "--status", "ok"}, `
RACK  ROW  DRAW kW  BUDGET kW  USED %  STATUS
K-A   R1      7.50      15.00    50.0  ok
K-E   R1      7.50      15.00    50.0  ok
`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if got := run(t, tablesReport(), tt.args...); got != tt.want[1:] {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want[1:])
			}
		})
	}
}

func TestPowerTable(t *testing.T) {
	want := `
LEVEL  ID        RACKS  STALE  DRAW kW  BUDGET kW  USED %  HEADROOM kW
site   city-dpc      5      1   ≥41.00      70.00       -            -
hall   H1            5      1   ≥41.00      70.00       -            -
row    R1            3      0    27.00      40.00    67.5        13.00
row    R2            2      1   ≥14.00      30.00       -            -
`[1:]
	if got := run(t, tablesReport(), "power"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestRackShow compares words, not columns: LAST SEEN is printed in the
// local time zone, whose name may be longer than UTC.
func TestRackShow(t *testing.T) {
	local := strings.Fields(seen.Local().Format("2006-01-02 15:04:05 MST"))
	tests := []struct {
		rack string
		want [][]string // the words of each line
	}{
		{"K-A", [][]string{
			strings.Fields("rack K-A row R1 hall H1"),
			strings.Fields("draw 7.50 kW of 15.00 kW (50.0 %), headroom 7.50 kW, ok"),
			nil,
			strings.Fields("PDU FEED POWER kW CAPACITY kW LAST SEEN STALE"),
			append(strings.Fields("K-A-PA A 3.70 17.66"), local...),
			append(strings.Fields("K-A-PB B 3.80 17.66"), local...),
		}},
		{"K-C", [][]string{
			strings.Fields("rack K-C row R2 hall H1"),
			strings.Fields("draw unknown (stale telemetry) of a 15.00 kW budget: headroom cannot be vouched for"),
			nil,
			strings.Fields("PDU FEED POWER kW CAPACITY kW LAST SEEN STALE"),
			append(strings.Fields("K-C-PA A 6.25 17.66"), local...),
			strings.Fields("K-C-PB B - 17.66 never never-seen"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.rack, func(t *testing.T) {
			out := run(t, tablesReport(), "rack", "show", tt.rack)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(tt.want), out)
			}
			for i, w := range tt.want {
				if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
					t.Errorf("line %d: got %q, want %q", i+1, got, w)
				}
			}
		})
	}
}

// TestTablesJSON checks that -o json carries watts, not the tables' kW.
func TestTablesJSON(t *testing.T) {
	tests := []struct {
		args   []string
		wantIn []string
	}{
		{[]string{"rack", "ls", "-o", "json"}, []string{`"id": "K-C"`, `"draw_watts": null`, `"draw_watts": 12000`}},
		{[]string{"rack", "show", "K-A", "-o", "json"}, []string{`"draw_watts": 7500`, `"power_watts": 3700`}},
		{[]string{"power", "-o", "json"}, []string{`"draw_watts": 41000`, `"headroom_watts": null`, `"headroom_watts": 13000`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := run(t, tablesReport(), tt.args...)
			for _, w := range tt.wantIn {
				if !strings.Contains(got, w) {
					t.Errorf("got\n%s\nwant it to contain %s", got, w)
				}
			}
		})
	}
}
