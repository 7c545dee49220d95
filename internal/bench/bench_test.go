package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/internal/inventory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPollResultFill checks the rates Poll derives from two samples.
func TestPollResultFill(t *testing.T) {
	r := PollResult{Devices: 100, Interval: "500ms", Seconds: 10}
	a := sample{ok: 1000, failed: 10, selfCPU: time.Second, sim: 2 * time.Second}
	b := sample{ok: 2990, failed: 20, selfCPU: 3 * time.Second, sim: 7 * time.Second}
	r.fill(a, b, 57)
	want := PollResult{Devices: 100, Interval: "500ms", Seconds: 10, AskedPerSec: 200, PollsPerSec: 199, FailedPerSec: 1,
		AgentCores: 0.2, SimCores: 0.5, AgentCPUPerKPoll: 1, BytesPerPoll: 57}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	r = PollResult{Devices: 1, Interval: "1s", Seconds: 1}
	if r.fill(a, a, 0); r.AgentCPUPerKPoll != 0 {
		t.Errorf("got %v CPU s per 1000 polls with no polls, want 0", r.AgentCPUPerKPoll)
	}
}

// TestRows checks that each result has a cell for every column.
func TestRows(t *testing.T) {
	type result interface {
		Header() []string
		Row() []string
	}
	for _, r := range []result{PollResult{}, DemoResult{}} {
		if h, c := r.Header(), r.Row(); len(h) != len(c) {
			t.Errorf("%T: got %d cells under %d columns, want as many", r, len(c), len(h))
		}
	}
}

// TestDemo runs the demo harness on a 2-rack site for a moment.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prof := filepath.Join(t.TempDir(), "heap.pprof")
	r, err := Demo(ctx, DemoConfig{Site: inventory.Reference(2), Interval: 500 * time.Millisecond, Duration: 100 * time.Millisecond, HeapProfile: prof})
	if err != nil {
		t.Fatal(err)
	}
	if r.Racks != 2 || r.Devices == 0 || r.Interval != "500ms" || r.StaleRacks != 0 {
		t.Errorf("got %+v, want 2 racks, some devices, interval 500ms, none stale", r)
	}
	if r.RSSMiB <= 0 || r.PeakRSSMiB < r.RSSMiB || r.HeapMiB <= 0 || r.Goroutines == 0 || r.Seconds < 0.1 {
		t.Errorf("got %+v, want positive memory (peak ≥ now), goroutines, at least 0.1 s", r)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"seconds_until_all_racks_known":`) {
		t.Errorf("got %s (%v), want the JSON field names of docs/benchmarks.md", b, err)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("got heap profile %v (%v), want a non-empty file", fi, err)
	}
}
