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
		Row() []string
	}
	for _, r := range []result{DemoResult{}} {
		if h, c := r.Header(), r.Row(); len(h) != len(c) {
			t.Errorf("%T: got %d cells under %d columns, want as many", r, len(c), len(h))
		}
	}
	for _, row := range (PollResult{}).Rows() {
		if h := (PollResult{}).Header(); len(h) != len(row) {
			t.Errorf("PollResult: got %d cells under %d columns, want as many", len(row), len(h))
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
