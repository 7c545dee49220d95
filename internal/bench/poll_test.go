package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// TestPollSlowDevice polls a simulated rack whose one PDU answers each
// request 40 ms late, at an interval of 50 ms: its polls take longer than
// the interval, yet within the bench's timeout, so they succeed (a timeout
// of one interval would count them failed: the bench's failure, not the
// device's). The other PDU answers too late for the timeout: it is reported
// by name as failing, with timeout, and only it.
func TestPollSlowDevice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	site := inventory.Reference(1)
	community, err := demo.Community(filepath.Join(t.TempDir(), "community"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: site, Community: community.Reveal(), Seed: 1, Refresh: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Rewrite(site)
	pdus := site.Halls[0].Rows[0].Racks[0].PDUs
	slow, dead := pdus[0].ID, pdus[1].ID
	for id, delay := range map[string]time.Duration{slow: 40 * time.Millisecond, dead: time.Hour} {
		d, err := s.Device(id)
		if err != nil {
			t.Fatal(err)
		}
		d.SetDelay(delay)
	}
	r, err := pollSite(ctx, PollConfig{Interval: 50 * time.Millisecond, Timeout: 800 * time.Millisecond, Duration: 1200 * time.Millisecond,
		Runs: 2, Workers: 4}, site, community, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if r.FailingDevices != 1 || len(r.Failures) != 1 || r.Failures[0].Device != dead || r.Failures[0].Reason != "timeout" {
		t.Errorf("got %d failing devices %+v, want only %s, by timeout (not the slow %s)", r.FailingDevices, r.Failures, dead, slow)
	}
	if r.Runs != 2 || r.PollsPerSec.Runs != 2 || r.PollsPerSec.Min <= 0 || r.Timeout != "800ms" {
		t.Errorf("got %d runs, polls/s %+v, timeout %s; want 2 runs of some polls, 800ms", r.Runs, r.PollsPerSec, r.Timeout)
	}
}

// TestSpreadOf checks the least, median and greatest of a figure's runs.
func TestSpreadOf(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{5}, Spread{5, 5, 5, 1}},
		{[]float64{3, 1, 2}, Spread{1, 2, 3, 3}},
		{[]float64{4, 1, 2, 10}, Spread{1, 3, 10, 4}},
	} {
		if got := SpreadOf(c.xs); got != c.want {
			t.Errorf("SpreadOf(%v): got %+v, want %+v", c.xs, got, c.want)
		}
	}
	if got, want := (Spread{1, 2.5, 4, 3}).Cell(1), "1.0 / 2.5 / 4.0"; got != want {
		t.Errorf("got cell %q, want %q", got, want)
	}
}

// TestThisMachine checks the header every bench prints: cores, the Go
// version, and memory and CPU model where /proc has them.
func TestThisMachine(t *testing.T) {
	m := ThisMachine()
	if m.Cores < 1 || m.GoVersion == "" || m.Platform == "" {
		t.Errorf("got %+v, want cores, Go version and platform", m)
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil && m.MemoryGiB <= 0 {
		t.Errorf("got %v GiB of memory with /proc/meminfo there, want more than 0", m.MemoryGiB)
	}
}
