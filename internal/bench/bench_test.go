package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/internal/inventory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPollRunOf checks the figures of a run between two samples.
func TestPollRunOf(t *testing.T) {
	at := time.Unix(1000, 0)
	a := sample{wall: at, ok: 1000, failed: 10, selfCPU: time.Second, sim: 2 * time.Second, polls: 100, bytes: 1000}
	b := sample{wall: at.Add(10 * time.Second), ok: 2990, failed: 20, selfCPU: 3 * time.Second, sim: 7 * time.Second, polls: 300, bytes: 12400}
	want := pollRun{pollsPerSec: 199, failedPerSec: 1, agentCores: 0.2, simCores: 0.5, cpuPerKPoll: 1, bytesPerPoll: 57}
	if got := runOf(a, b); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := runOf(b, sample{wall: b.wall.Add(time.Second), ok: b.ok, failed: b.failed, polls: b.polls}); got.cpuPerKPoll != 0 || got.bytesPerPoll != 0 {
		t.Errorf("got %+v with no polls, want 0 CPU s per 1000 polls and 0 bytes per poll", got)
	}
}

// TestRows checks that each result has a cell for every column.
func TestRows(t *testing.T) {
	type result interface {
		Header() []string
		Rows() [][]string
	}
	for _, r := range []result{PollResult{}, DemoResult{}, RaftResult{Modes: []RaftMode{{}}}} {
		for _, row := range r.Rows() {
			if h := r.Header(); len(h) != len(row) {
				t.Errorf("%T: got %d cells under %d columns, want as many", r, len(row), len(h))
			}
		}
	}
}

// TestDemoSpread checks that each figure of the demo is spread over the
// runs from its own field of each run.
func TestDemoSpread(t *testing.T) {
	var r DemoResult
	r.spread([]demoRun{
		{seconds: 60, start: 3, rss: 180, peakRSS: 190, heap: 120, goroutines: 1100, cpu: 0.5, stale: 0},
		{seconds: 61, start: 5, rss: 150, peakRSS: 160, heap: 100, goroutines: 1110, cpu: 0.7, stale: 2},
		{seconds: 62, start: 4, rss: 170, peakRSS: 200, heap: 110, goroutines: 1105, cpu: 0.6, stale: 1},
	})
	for _, c := range []struct {
		name      string
		got, want Spread
	}{
		{"seconds", r.Seconds, Spread{60, 61, 62, 3}},
		{"ready", r.StartSeconds, Spread{3, 4, 5, 3}},
		{"RSS", r.RSSMiB, Spread{150, 170, 180, 3}},
		{"peak RSS", r.PeakRSSMiB, Spread{160, 190, 200, 3}},
		{"heap", r.HeapMiB, Spread{100, 110, 120, 3}},
		{"goroutines", r.Goroutines, Spread{1100, 1105, 1110, 3}},
		{"CPU", r.CPUCores, Spread{0.5, 0.6, 0.7, 3}},
		{"stale", r.StaleRacks, Spread{0, 1, 2, 3}},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

// TestDemo runs the demo harness twice on a 2-rack site for a moment: each
// figure is a spread over the two runs, in the table and in the JSON.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prof := filepath.Join(t.TempDir(), "heap.pprof")
	r, err := Demo(ctx, DemoConfig{Site: inventory.Reference(2), Interval: 500 * time.Millisecond, Duration: 100 * time.Millisecond, Runs: 2, HeapProfile: prof})
	if err != nil {
		t.Fatal(err)
	}
	if r.Racks != 2 || r.Devices == 0 || r.Interval != "500ms" || r.StaleRacks.Max != 0 || r.Runs != 2 {
		t.Errorf("got %+v, want 2 racks, some devices, interval 500ms, none stale, 2 runs", r)
	}
	if r.RSSMiB.Min <= 0 || r.PeakRSSMiB.Min < r.RSSMiB.Min || r.HeapMiB.Min <= 0 || r.Goroutines.Min == 0 || r.Seconds.Min < 0.1 {
		t.Errorf("got %+v, want positive memory (peak ≥ now), goroutines, at least 0.1 s", r)
	}
	for name, s := range map[string]Spread{"seconds": r.Seconds, "ready": r.StartSeconds, "rss": r.RSSMiB, "peak": r.PeakRSSMiB,
		"heap": r.HeapMiB, "goroutines": r.Goroutines, "cpu": r.CPUCores, "stale": r.StaleRacks} {
		if s.Runs != 2 || s.Min > s.Median || s.Median > s.Max {
			t.Errorf("%s: got %+v, want 2 runs with min <= median <= max", name, s)
		}
	}
	rows := r.Rows()
	if want := []string{"RSS MiB", fmt.Sprintf("%.0f", r.RSSMiB.Min), fmt.Sprintf("%.0f", r.RSSMiB.Median), fmt.Sprintf("%.0f", r.RSSMiB.Max)}; !slices.Equal(rows[1], want) {
		t.Errorf("RSS row: got %q, want %q", rows[1], want)
	}
	if got, want := r.Summary(), SpreadHeader(2, "runs"); !strings.Contains(got, want) {
		t.Errorf("summary: got %q, want it to say %q", got, want)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"seconds_until_all_racks_known":{"min":`) || !strings.Contains(string(b), `"rss_mib":{"min":`) {
		t.Errorf("got %s (%v), want the JSON field names of docs/benchmarks.md, each a spread", b, err)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("got heap profile %v (%v), want a non-empty file", fi, err)
	}
}
