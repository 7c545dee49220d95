package alerts

import (
	"slices"
	"testing"
	"time"
)

// step is one evaluation in a sequence: at t after t0, rack K1 draws w
// (unknown when stale: K1-A left out); want is RackPowerWarning's status
// then ("" when not active) and fired or resolved its transition, if any.
type step struct {
	at    time.Duration
	w     float64
	stale bool
	want  Status
	trans TransitionKind
}

func runSteps(t *testing.T, cfg Config, rule Rule, steps []step) *Evaluator {
	t.Helper()
	e := evaluator(t, cfg)
	for i, s := range steps {
		in := quiet()
		rackDraws("K1", s.w)(&in)
		if s.stale {
			delete(in.Devices, "K1-A")
		}
		res := e.Evaluate(in, t0.Add(s.at))
		a, _ := find(res.Active, rule, "rack K1")
		if a.Status != s.want {
			t.Errorf("step %d (%v, %v W, stale %v): got %q, want %q", i, s.at, s.w, s.stale, a.Status, s.want)
		}
		var got TransitionKind
		for _, tr := range res.Transitions {
			if tr.Alert != nil && tr.Alert.Rule == rule && tr.Alert.Object.Rack == "K1" {
				got = tr.Kind
			}
		}
		if got != s.trans {
			t.Errorf("step %d (%v, %v W): got transition %q, want %q", i, s.at, s.w, got, s.trans)
		}
	}
	return e
}

const (
	pending = StatusPending
	firing  = StatusFiring
)

// TestHysteresis walks a 15 kW rack around its 12 kW warning with the
// default config: `for` 5 minutes, band 5 % (clear under 11.4 kW), clear
// for 1 minute.
func TestHysteresis(t *testing.T) {
	m := time.Minute
	runSteps(t, DefaultConfig(), RackPowerWarning, []step{
		{0, 12000, false, pending, ""},
		{4 * m, 12500, false, pending, ""},
		{4*m + 30*time.Second, 11999, false, "", ""}, // under the limit before `for`: dropped
		{5 * m, 12000, false, pending, ""},           // starts again
		{9*m + 59*time.Second, 12000, false, pending, ""},
		{10 * m, 12000, false, firing, Fired},             // 5 minutes since 5m
		{11 * m, 11500, false, firing, ""},                // in the band: still firing
		{12 * m, 11399, false, firing, ""},                // past the clear level: clear timer starts
		{12*m + 30*time.Second, 11450, false, firing, ""}, // back in the band: timer reset
		{13 * m, 11000, false, firing, ""},
		{13*m + 59*time.Second, 11000, false, firing, ""},
		{14 * m, 11000, false, "", Resolved}, // a minute past the clear level
		{15 * m, 11000, false, "", ""},
	})
}

// TestAtOnce: over budget and redundancy lost fire on the first reading,
// while the warning and critical levels wait for their `for`.
func TestAtOnce(t *testing.T) {
	e := evaluator(t, DefaultConfig())
	in := quiet()
	rackDraws("K1", 15002)(&in)
	amps(map[string][]float64{"K2-A": {13, 1, 1}, "K2-B": {13, 1, 1}})(&in)
	res := e.Evaluate(in, t0)
	want := []string{
		"RackOverBudget rack K1 firing 15002/15000",
		"RackPowerCritical rack K1 pending 15002/14250",
		"RackPowerWarning rack K1 pending 15002/12000",
		"RedundancyLost PDU K2-A L1 if feed B fails firing 26/25.6",
		"RedundancyLost PDU K2-B L1 if feed A fails firing 26/25.6",
	}
	if got := briefs(res.Active); !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", join(got), join(want))
	}
	if len(res.Transitions) != 3 {
		t.Errorf("got %d transitions, want 3 (fired ×3)", len(res.Transitions))
	}
	// Back under the budget's clear level (15 kW × 0.95 = 14.25 kW) and a
	// minute later, over budget resolves.
	rackDraws("K1", 14250)(&in)
	e.Evaluate(in, t0.Add(time.Second))
	res = e.Evaluate(in, t0.Add(time.Minute+time.Second))
	if _, ok := find(res.Active, RackOverBudget, "rack K1"); ok {
		t.Errorf("got RackOverBudget active at 14,250 W a minute on, want resolved")
	}
}

// TestUnknownHolds: a stale PDU neither clears nor raises its rack's
// alerts, and a pending alert cannot fire while its readings are unknown.
func TestUnknownHolds(t *testing.T) {
	m := time.Minute
	t.Run("firing", func(t *testing.T) {
		runSteps(t, DefaultConfig(), RackPowerWarning, []step{
			{0, 13000, false, pending, ""},
			{5 * m, 13000, false, firing, Fired},
			{6 * m, 0, true, firing, ""}, // as 0 W it would start to clear
			{30 * m, 0, true, firing, ""},
			{31 * m, 11000, false, firing, ""},
			{32 * m, 11000, false, "", Resolved},
		})
	})
	t.Run("held alerts say so", func(t *testing.T) {
		e := evaluator(t, instant())
		in := quiet()
		rackDraws("K1", 13000)(&in)
		e.Evaluate(in, t0)
		delete(in.Devices, "K1-A")
		res := e.Evaluate(in, t0.Add(time.Minute))
		a, ok := find(res.Active, RackPowerWarning, "rack K1")
		if !ok || !a.Held || a.Value != 13000 {
			t.Errorf("got %+v (active %v), want firing, held, at its last value 13000", a, ok)
		}
		if _, ok := find(res.Active, TelemetryStale, "PDU K1-A"); !ok {
			t.Errorf("got no TelemetryStale for K1-A, want it")
		}
	})
	t.Run("pending", func(t *testing.T) {
		runSteps(t, DefaultConfig(), RackPowerWarning, []step{
			{0, 13000, false, pending, ""},
			{3 * m, 0, true, pending, ""},
			{6 * m, 0, true, pending, ""}, // 5 minutes are up, but nothing is known
			{7 * m, 13000, false, firing, Fired},
		})
	})
	t.Run("nothing starts", func(t *testing.T) {
		runSteps(t, instant(), RackPowerWarning, []step{
			{0, 26000, true, "", ""}, // K1-B alone draws 13 kW: as if K1-A were 0 W, it would fire
			{m, 11000, false, "", ""},
		})
	})
}

// TestNoSite: before the first inventory, only agents are judged.
func TestNoSite(t *testing.T) {
	res := evaluator(t, instant()).Evaluate(Input{Agents: map[string]time.Time{"ag1": t0.Add(-time.Hour)}}, t0)
	if got := briefs(res.Active); !slices.Equal(got, []string{"AgentDown agent ag1 firing 3600/120"}) {
		t.Errorf("got %v, want only ag1 down", got)
	}
}

// TestObjectGone: an alert whose rack has left the inventory resolves.
func TestObjectGone(t *testing.T) {
	e := evaluator(t, instant())
	in := quiet()
	rackDraws("K2", 16000)(&in)
	e.Evaluate(in, t0)
	in.Site.Halls[0].Rows[0].Racks = in.Site.Halls[0].Rows[0].Racks[:1]
	res := e.Evaluate(in, t0.Add(time.Second))
	want := []string{"resolved RackOverBudget rack K2", "resolved RackPowerCritical rack K2", "resolved RackPowerWarning rack K2"}
	if got := kinds(res.Transitions); !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", join(got), join(want))
	}
	if len(res.Active) != 0 {
		t.Errorf("got %v active, want none", briefs(res.Active))
	}
}

// TestRestore: a new leader restored from the replicated state keeps the
// firing alerts and their acks, and starts pending ones again.
func TestRestore(t *testing.T) {
	old := evaluator(t, DefaultConfig())
	in := quiet()
	rackDraws("K1", 15002)(&in)
	old.Evaluate(in, t0)
	id := ID(RackOverBudget, Object{Kind: KindRack, Site: "dc", Hall: "H1", Row: "R1", Rack: "K1"})
	if err := old.Apply(Transition{Kind: Acked, ID: id, At: t0.Add(time.Second), By: "ana", Why: "moving a job"}); err != nil {
		t.Fatalf("ack: got %v, want no error", err)
	}
	s := old.State()

	e := evaluator(t, DefaultConfig())
	e.Restore(s)
	res := e.Evaluate(in, t0.Add(2*time.Minute))
	a, ok := find(res.Active, RackOverBudget, "rack K1")
	if !ok || a.Status != firing || !a.FiringSince.Equal(t0) || a.Ack == nil || a.Ack.By != "ana" {
		t.Errorf("got %+v, want firing since t0, acked by ana", a)
	}
	if w, _ := find(res.Active, RackPowerWarning, "rack K1"); w.Status != pending || !w.ActiveSince.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("got warning %s since %v, want pending from the restore", w.Status, w.ActiveSince)
	}
	for _, tr := range res.Transitions {
		if tr.Kind == Fired && tr.Alert.Rule == RackOverBudget {
			t.Errorf("got RackOverBudget fired again after restore, want it carried over")
		}
	}
}

// TestSilenceExpires: a silence outlives the alert and ends at its Until
// with an Unsilenced transition.
func TestSilenceExpires(t *testing.T) {
	e := evaluator(t, instant())
	in := quiet()
	rackDraws("K1", 15002)(&in)
	id := ID(RackOverBudget, Object{Kind: KindRack, Site: "dc", Hall: "H1", Row: "R1", Rack: "K1"})
	if err := e.Apply(Transition{Kind: Silenced, ID: id, At: t0, Until: t0.Add(time.Hour), By: "ana"}); err != nil {
		t.Fatalf("silence: got %v, want no error", err)
	}
	res := e.Evaluate(in, t0.Add(time.Minute))
	a, _ := find(res.Active, RackOverBudget, "rack K1")
	if a.Silence == nil || a.Notify(t0.Add(time.Minute)) {
		t.Errorf("got silence %v, notify %v; want silenced, not notified", a.Silence, a.Notify(t0.Add(time.Minute)))
	}
	res = e.Evaluate(in, t0.Add(time.Hour))
	if got := kinds(res.Transitions); !slices.Equal(got, []string{"unsilenced " + id}) {
		t.Errorf("got %v, want the silence to expire", got)
	}
	a, _ = find(res.Active, RackOverBudget, "rack K1")
	if a.Silence != nil || !a.Notify(t0.Add(time.Hour)) {
		t.Errorf("got silence %v, want none and notified", a.Silence)
	}
}
