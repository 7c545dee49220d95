package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests.
const testTimeout = 30 * time.Second

// waitFor checks cond every 20 ms until it returns nil, and fails the test
// if it still does not when ctx is done.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() error) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("still not %s: %v", what, err)
		case <-tick.C:
		}
	}
}

// TestStart starts a 4-rack demo in a temporary directory of its own, waits
// until the API knows every rack's draw, and checks that Close removes the
// directory (goleak, in TestMain, that it stops every goroutine).
func TestStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d, err := Start(ctx, Config{Site: inventory.Reference(4), HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.5,
		Overload: []string{"H1-R01-K01"}})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			d.Close()
		}
	}()
	waitFor(ctx, t, "4 racks known", func() error {
		l, err := d.Client().Racks(ctx, api.RackFilter{})
		if err != nil {
			return err
		}
		if len(l.Racks) != 4 {
			return errors.New("not 4 racks")
		}
		for _, k := range l.Racks {
			if k.DrawWatts == nil {
				return errors.New(k.ID + " is " + k.Status)
			}
		}
		return nil
	})
	// The first polls may predate the scenario's overload: wait for a poll
	// that follows it, not for any known draw.
	waitFor(ctx, t, "H1-R01-K01 over budget: the scenario overloads it", func() error {
		k, err := d.Client().Rack(ctx, "H1-R01-K01")
		if err != nil {
			return err
		}
		if k.Status != power.StatusOver {
			return errors.New("status " + k.Status)
		}
		return nil
	})
	if !strings.HasPrefix(d.URL(), "http://127.0.0.1:") {
		t.Errorf("got URL %q, want http://127.0.0.1:PORT", d.URL())
	}
	dir := d.tmpDir
	if _, err := os.Stat(filepath.Join(dir, "snmp-community")); err != nil {
		t.Errorf("got %v, want the community file in the temporary directory", err)
	}
	d.Close()
	closed = true
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v after Close, want the temporary directory %s gone", err, dir)
	}
}

// TestStartScenarioErrors checks that a scenario naming what the site lacks
// fails Start with sim.ErrUnknown, named by its flag, and stops what started.
func TestStartScenarioErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"overload", Config{Overload: []string{"H9-R01-K01"}}, `--overload: sim: no such rack or device: rack "H9-R01-K01"`},
		{"silence", Config{Silence: []string{"H1-R01-K01-PZ"}}, `--silence: sim: no such rack or device: device "H1-R01-K01-PZ"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c := tt.cfg
			c.Site, c.Dir, c.HTTPAddr, c.Interval = inventory.Reference(1), t.TempDir(), "127.0.0.1:0", time.Second
			d, err := Start(ctx, c)
			if d != nil || !errors.Is(err, sim.ErrUnknown) || err.Error() != tt.want {
				t.Errorf("got %v, %v; want nil, %s", d, err, tt.want)
			}
		})
	}
}

// TestRun runs the demo with a workload to place until a summary line
// shows every rack known and the workload placed, stops it as Ctrl-C does,
// and checks what it printed.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var out peer.Log
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Config{Site: inventory.Reference(2), HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond,
			Level: 0.5, SummaryEvery: 100 * time.Millisecond, LoadNote: "racks follow a test's note", Workloads: []api.PlacementRequest{
				{Name: "w", Replicas: 2, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 1000}}}, &out)
	}()
	waitFor(ctx, t, "summarising 2 racks ok", func() error {
		if !strings.Contains(out.String(), "placed 0.002 + reserved 0.000 MW (6.7 %)  racks: 2 ok, 0 warn, 0 over, 0 stale") {
			got := out.String()
			return errors.New("no such summary yet; the output ends " + got[max(0, len(got)-300):])
		}
		return nil
	})
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("got %v from Run, want nil once stopped", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return once stopped")
	}
	got := out.String()
	if first, _, _ := strings.Cut(got, "\n"); !strings.HasPrefix(first, "dcplane demo: running WITHOUT TLS") {
		t.Errorf("got first line %q, want it to say the demo runs without TLS", first)
	}
	for _, want := range []string{"dcplane demo: site city-dpc, ", "2 racks", "  API        http://127.0.0.1:", "go run ./cmd/dcplane placement ls\n", "\n  load       racks follow a test's note\n",
		"Ctrl-C stops it.\n", "\nplacing 1 workloads once every rack is measured…\nplaced 1 of 1 workloads: 2 replicas, 2.0 kW declared"} {
		if !strings.Contains(got, want) {
			t.Errorf("got output %q, want it to contain %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "\nstopping\n") {
		t.Errorf("got output ending %q, want it to end with stopping", got[max(0, len(got)-40):])
	}
}

// TestRunSim checks that the simulator writes an inventory whose devices
// are at its loopback addresses, and a community file only its owner reads.
func TestRunSim(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	dir := t.TempDir()
	c := SimConfig{Site: inventory.Reference(2), InventoryOut: filepath.Join(dir, "site.yaml"), CommunityFile: filepath.Join(dir, "community")}
	var out peer.Log
	done := make(chan error, 1)
	go func() { done <- RunSim(runCtx, c, &out) }()
	var site *inventory.Site
	waitFor(ctx, t, "written", func() (err error) {
		site, err = inventory.LoadFile(c.InventoryOut)
		return err
	})
	n := 0
	for id, ep := range site.Devices() {
		n++
		if !strings.HasPrefix(ep.Address, "127.0.0.1:") {
			t.Errorf("got %s at %q, want a 127.0.0.1 address", id, ep.Address)
		}
	}
	if fi, err := os.Stat(c.CommunityFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got community file %v (%v), want mode 0600", fi, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("got %v from RunSim, want nil once stopped", err)
	}
	if want := "simulating " + strconv.Itoa(n) + " devices; inventory with their addresses in " + c.InventoryOut + "\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestSite(t *testing.T) {
	tests := []struct {
		n         int
		wantRacks int
		wantErr   bool
	}{
		{0, 0, true},
		{1, 1, false},
		{7, 7, false},
		{inventory.ReferenceRacks, inventory.ReferenceRacks, false},
	}
	for _, tt := range tests {
		s, err := Site(tt.n)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Site(%d): got no error, want one", tt.n)
			}
			continue
		}
		if err != nil || s.Count().Racks != tt.wantRacks {
			t.Errorf("Site(%d): got %v (%v), want %d racks", tt.n, s, err, tt.wantRacks)
		}
	}
}
