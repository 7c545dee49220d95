package controller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// oneServerSite is inventory.Reference(1) cut to its first server, with a
// BMC: placement has only that server to place on. It returns the
// server's ID and declared model.
func oneServerSite() (site *inventory.Site, id string, idle, maxW float64) {
	site = inventory.Reference(1)
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		k.Servers = k.Servers[:1]
		k.Servers[0].BMC = &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
		id, idle, maxW = k.Servers[0].ID, k.Servers[0].IdleW, k.Servers[0].MaxW
		return true
	})
	return site, id, idle, maxW
}

// fullLoad is a request whose watts are derived from the server's power
// model at full utilisation: its maximum draw.
var fullLoad = placement.Request{Name: "batch", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Utilisation: 1}

// derivedWatts is what placement gives one replica of fullLoad now (a dry
// run).
func derivedWatts(t *testing.T, n *Node) float64 {
	t.Helper()
	p, _, err := n.Place(context.Background(), fullLoad, "", true, false)
	if err != nil {
		t.Fatalf("dry run: got %v, want a decision", err)
	}
	return p.Assignments[0].Watts
}

// pushBMC pushes one poll of a server's BMC.
func pushBMC(t *testing.T, n *Node, seq uint64, s collectors.Status) {
	t.Helper()
	if _, err := n.Ingest(context.Background(), &wire.Batch{Agent: "a", Seq: seq, Polls: []collectors.Status{s}}); err != nil {
		t.Fatal(err)
	}
}

// bmcPower is a BMC poll of a server's input power.
func bmcPower(id string, at time.Time, w float64) collectors.Status {
	return collectors.Status{Device: id, At: at, OK: true,
		Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: w}}}
}

// TestMeasuredDrawCalibratesPlacement checks the hook end to end on a
// leader: a BMC reading above the server's declared maximum changes the
// watts placement derives for the server once the leader has committed
// it, not before; a new leader's first commit keeps it.
func TestMeasuredDrawCalibratesPlacement(t *testing.T) {
	site, id, _, declaredMax := oneServerSite()
	now := time.Now()
	var clock atomic.Int64 // the node's clock, which the test moves on
	clock.Store(now.UnixNano())
	n := openNodeAt(t, t.TempDir(), site, func() time.Time { return time.Unix(0, clock.Load()) })
	defer n.Close()
	n.cfg.DeclaredOnly = true // no PDU readings: the rack's draw is unknown
	ctx := context.Background()
	if got := derivedWatts(t, n); got != declaredMax {
		t.Fatalf("before any reading: got %v W, want the declared maximum %v W", got, declaredMax)
	}
	measured := declaredMax + 127
	pushBMC(t, n, 1, bmcPower(id, now, measured))
	n.account(now)
	if got := derivedWatts(t, n); got != declaredMax {
		t.Errorf("measured, not committed: got %v W, want the declared %v W", got, declaredMax)
	}
	if !n.commitPeaks(ctx, now) {
		t.Fatal("commitPeaks: got false, want the draw committed")
	}
	if got := derivedWatts(t, n); got != measured {
		t.Errorf("committed: got %v W, want the measured %v W", got, measured)
	}
	p, ok := n.ServerPower(id)
	if !ok || !p.Calibrated.MaxMeasured || p.Calibrated.MaxWatts != measured || p.Declared.MaxWatts != declaredMax {
		t.Errorf("ServerPower: got %+v, %v, want declared %v W calibrated to %v W", p, ok, declaredMax, measured)
	}
	// A declared request keeps its watts.
	d := fullLoad
	d.Utilisation, d.Watts = 0, 250
	if got, _, err := n.Place(ctx, d, "", true, false); err != nil || got.Assignments[0].Watts != 250 {
		t.Errorf("declared 250 W: got %+v, %v", got, err)
	}
	// Nothing changed since: nothing to commit; nor for a draw within a
	// few watts of the one committed.
	if n.commitPeaks(ctx, now.Add(time.Minute)) {
		t.Error("commitPeaks with nothing changed: got true, want false")
	}
	pushBMC(t, n, 2, bmcPower(id, now.Add(time.Second), measured+drawStepWatts-1))
	n.account(now)
	if o := n.live.Load().draws.Observed(now)[id]; o.MaxWatts != measured+drawStepWatts-1 {
		t.Fatalf("the leader's record: got %+v, want a highest draw of %v W", o, measured+drawStepWatts-1)
	}
	if n.commitPeaks(ctx, now.Add(time.Minute)) {
		t.Errorf("a draw %v W above the one committed: got a commit, want none", drawStepWatts-1)
	}
	// A new leader (its overlay gone) starts from what was committed:
	// its first commit neither forgets nor repeats it.
	n.live.Store(nil)
	n.account(now.Add(2 * time.Minute)) // the BMC is stale by now
	if n.commitPeaks(ctx, now.Add(2*time.Minute)) {
		t.Error("a new leader's first commit: got one, want nothing changed")
	}
	// Nor does a lower reading it measures make it forget the higher
	// one committed within the horizon.
	n.live.Store(nil)
	later := now.Add(time.Hour)
	clock.Store(later.UnixNano())
	pushBMC(t, n, 3, bmcPower(id, later, declaredMax-50))
	n.account(later)
	if !n.commitPeaks(ctx, later) {
		t.Fatal("a lower draw measured: got no commit, want its lowest draw committed")
	}
	if p, _ := n.ServerPower(id); p.Measured.MinWatts != declaredMax-50 || p.Measured.MaxWatts != measured {
		t.Errorf("after a change of leader: got %+v, want %v–%v W measured", p.Measured, declaredMax-50, measured)
	}
	if got := derivedWatts(t, n); got != measured {
		t.Errorf("after a change of leader: got %v W, want the measured %v W", got, measured)
	}
}

// TestStaleOrUnknownDrawChangesNothing checks that what is not a fresh
// measurement of a server that is on commits nothing and leaves placement
// on the declared model.
func TestStaleOrUnknownDrawChangesNothing(t *testing.T) {
	tests := []struct {
		name  string
		poll  func(id string, now time.Time) collectors.Status
		later time.Duration // from the poll to the accounting
	}{
		// Heard 10 minutes before the accounting, beyond StaleAfter.
		{"stale", func(id string, now time.Time) collectors.Status { return bmcPower(id, now, 900) }, 10 * time.Minute},
		{"failed poll", func(id string, now time.Time) collectors.Status {
			return collectors.Status{Device: id, At: now, OK: false, Reason: "timeout"}
		}, 0},
		{"no power reading", func(id string, now time.Time) collectors.Status {
			return collectors.Status{Device: id, At: now, OK: true,
				Readings: []collectors.Reading{{Metric: collectors.PSUPresent, Scope: collectors.ScopePSU, Index: 1, Value: 1}}}
		}, 0},
		{"off", func(id string, now time.Time) collectors.Status { return bmcPower(id, now, 0) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site, id, _, declaredMax := oneServerSite()
			now := time.Now()
			n := openNodeAt(t, t.TempDir(), site, func() time.Time { return now })
			defer n.Close()
			n.cfg.DeclaredOnly = true
			pushBMC(t, n, 1, tt.poll(id, now))
			at := now.Add(tt.later)
			n.account(at)
			if n.commitPeaks(context.Background(), at) {
				t.Error("commitPeaks: got true, want nothing to commit")
			}
			if p, _ := n.ServerPower(id); p.Measured.Known || p.Calibrated != p.Declared {
				t.Errorf("ServerPower: got %+v, want the declared model, nothing measured", p)
			}
			if got := derivedWatts(t, n); got != declaredMax {
				t.Errorf("got %v W, want the declared %v W", got, declaredMax)
			}
		})
	}
}

// TestMoved checks when a draw has moved far enough from the committed one
// to be committed again: by 5 W, or 1 % of it above 500 W.
func TestMoved(t *testing.T) {
	tests := []struct {
		committed, w float64
		want         bool
	}{
		{400, 404, false},
		{400, 405, true},
		{400, 395, true},
		{2000, 2019, false},
		{2000, 2020, true},
		{2000, 1980, true},
	}
	for _, tt := range tests {
		if got := moved(tt.committed, tt.w); got != tt.want {
			t.Errorf("moved(%v, %v): got %v, want %v", tt.committed, tt.w, got, tt.want)
		}
	}
}
