package sim_test

import (
	"context"
	"errors"
	"math"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/sim"
)

// clock is a settable clock for the simulated devices.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// planFor loads a recording of ../shared/snmprec and plans it with the
// profile the collector's own matching chooses.
func planFor(t *testing.T, file string) (*sim.RecordingPlan, string) {
	t.Helper()
	recs, err := sim.LoadSnmprec(filepath.Join(peer.Recordings(t), file))
	if err != nil {
		t.Fatal(err)
	}
	det, err := snmp.MatchWalk(snmp.Defs(), sim.Varbinds(recs))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	plan, err := sim.PlanRecording(file, recs, det.Profile)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return plan, det.Profile.Name()
}

// serveUDP serves d on a loopback socket to community until the test ends.
func serveUDP(t *testing.T, d *sim.Device, community string) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.NewServer(sim.ServerOptions{}).Serve(ctx, conn, map[string]*sim.Device{community: d})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: got %v, want nil", err)
		}
		conn.Close()
	})
	return conn.LocalAddr().String()
}

// reading returns the value of one reading of st, and whether it is there.
func reading(st collectors.Status, m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
	for _, r := range st.Readings {
		if r.Metric == m && r.Scope == s && r.Index == i {
			return r.Value, true
		}
	}
	return 0, false
}

// TestRecordedPDUsFollowLoad serves recorded walks of real PDUs of several
// vendors with a load overlaid, polls each through a real UDP socket with
// the collector's auto-detection, and checks that what it reads is the
// load, in each vendor's own units and scales: device power, phases that
// add up to it, current and apparent power consistent with it, and an
// energy meter that counts what was drawn.
func TestRecordedPDUsFollowLoad(t *testing.T) {
	tests := []struct {
		file, profile string
		resolution    float64 // W: the coarsest step of the device's power reading
	}{
		{"raritan-pdu_px2.snmprec", "raritan-pdu2", 1},
		{"raritan-pdu_px3.snmprec", "raritan-pdu2", 1},
		{"raritan-pdu.snmprec", "raritan-px1", 1},
		{"eatonpdu_2.snmprec", "eaton-epdu", 1},
		{"sentry4.snmprec", "sentry4", 1},
		{"apc_ap8853.snmprec", "apc-rpdu2", 10}, // hundredths of kW
		{"rittal-cmc-iii-pu_pdu-controller.snmprec", "rittal-cmc-iii", 1},
		{"hpe-mapdu_pdu3.snmprec", "hpe-g5", 1},
	}
	collector := snmp.NewCollector(nil)
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.file, func(t *testing.T) {
			plan, matched := planFor(t, tt.file)
			if matched != tt.profile {
				t.Fatalf("matched profile: got %s, want %s", matched, tt.profile)
			}
			const load = 4321.7
			clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			pdu, err := sim.NewRecordedPDU(sim.RecordedPDUConfig{Name: "pdu", Plan: plan, Load: func() float64 { return load }, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			checkRestAsRecorded(t, tt.file, plan, pdu)
			target := snmp.Target{Address: serveUDP(t, pdu.Device, "public"), Credentials: snmp.Credentials{Community: snmp.NewSecret("public")}}
			poll := func() collectors.Status {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				st := collector.Poll(ctx, target, snmp.Auto{})
				if !st.OK {
					t.Fatalf("poll: %s: %s", st.Reason, st.Err)
				}
				return st
			}
			st := poll()
			w, ok := reading(st, collectors.PowerWatts, collectors.ScopeDevice, 0)
			if !ok || math.Abs(w-load) > tt.resolution {
				t.Fatalf("device power: got %v (present %v), want %v ± %v", w, ok, load, tt.resolution)
			}
			checkParts(t, st, load, tt.resolution)
			checkCurrent(t, st, load)
			checkApparent(t, st, load, tt.resolution)
			checkIdle(t, st, plan)
			checkPhasesEven(t, st, tt.resolution)
			e0, hasEnergy := reading(st, collectors.EnergyJoules, collectors.ScopeDevice, 0)
			if want, ok := recordedReading(plan, collectors.EnergyJoules); hasEnergy && (!ok || e0 != want) {
				// No time has passed: the meter reads what was recorded.
				t.Errorf("energy at the start: got %v J, want the recorded %v J", e0, want)
			}
			clk.advance(time.Hour)
			st = poll()
			if e1, ok := reading(st, collectors.EnergyJoules, collectors.ScopeDevice, 0); hasEnergy {
				// One hour at the load, to the meter's resolution (0.1 kWh at worst).
				if want := load * 3600; !ok || math.Abs(e1-e0-want) > 0.1*3.6e6 {
					t.Errorf("energy after an hour: got +%v J, want +%v J", e1-e0, want)
				}
			}
		})
	}
}

// checkParts checks that the phases (and outlets, where every outlet is
// metered) of a device add up to its load.
func checkParts(t *testing.T, st collectors.Status, load, resolution float64) {
	t.Helper()
	sums := map[collectors.Scope]float64{}
	counts := map[collectors.Scope]int{}
	for _, r := range st.Readings {
		if r.Metric == collectors.PowerWatts && r.Scope != collectors.ScopeDevice {
			sums[r.Scope] += r.Value
			counts[r.Scope]++
		}
	}
	if n := counts[collectors.ScopePhase]; n > 0 {
		if got := sums[collectors.ScopePhase]; math.Abs(got-load) > float64(n)*resolution {
			t.Errorf("phase power: got %v W over %d phases, want %v", got, n, load)
		}
	}
	if n := counts[collectors.ScopeOutlet]; n > 0 {
		if got := sums[collectors.ScopeOutlet]; math.Abs(got-load) > float64(n)*resolution {
			t.Errorf("outlet power: got %v W over %d outlets, want %v", got, n, load)
		}
	}
}

// checkCurrent checks that the phases' current carries the load at their
// voltage and the device's power factor, within the readings' rounding.
func checkCurrent(t *testing.T, st collectors.Status, load float64) {
	t.Helper()
	amps, volts, pf := 0.0, 0.0, 0.0
	for _, r := range st.Readings {
		switch {
		case r.Metric == collectors.CurrentAmperes && r.Scope == collectors.ScopePhase:
			amps += r.Value
		case r.Metric == collectors.VoltageVolts && (r.Scope == collectors.ScopeDevice || r.Scope == collectors.ScopePhase) && volts == 0:
			volts = r.Value
		case r.Metric == collectors.PowerFactorRatio && r.Scope == collectors.ScopeDevice && r.Value >= 0.5:
			pf = r.Value
		}
	}
	if amps == 0 || volts < 90 || pf == 0 {
		return // no phase current, or no voltage or power factor to judge it by
	}
	if got := amps * volts * pf; math.Abs(got-load)/load > 0.02 {
		t.Errorf("phase current: %v A × %v V × PF %v = %v W, want about %v W", amps, volts, pf, got, load)
	}
}

// TestRecordingWithoutDevicePower: a switched PDU that measures only
// current (the AP7900B reports -1 for power) has nothing the load could
// drive; the plan says so rather than inventing power it never reported.
func TestRecordingWithoutDevicePower(t *testing.T) {
	recs, err := sim.LoadSnmprec(filepath.Join(peer.Recordings(t), "apc_ap7900b.snmprec"))
	if err != nil {
		t.Fatal(err)
	}
	det, err := snmp.MatchWalk(snmp.Defs(), sim.Varbinds(recs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PlanRecording("apc_ap7900b.snmprec", recs, det.Profile); !errors.Is(err, sim.ErrNoLiveObjects) {
		t.Fatalf("plan: got %v, want ErrNoLiveObjects", err)
	}
}

// TestSiteServesRecordedPDUs: a site whose PDUs serve recordings answers
// at each PDU's address with the recording's device, drawing its feed's
// share of the rack's load, read through the collector's auto-detection.
func TestSiteServesRecordedPDUs(t *testing.T) {
	eaton, _ := planFor(t, "eatonpdu_2.snmprec")
	sentry, _ := planFor(t, "sentry4.snmprec")
	site := inventory.Reference(1)
	var pdus []inventory.PDU
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		pdus = k.PDUs
		return true
	})
	if len(pdus) != 2 {
		t.Fatalf("reference rack: got %d PDUs, want 2", len(pdus))
	}
	clk := &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s, err := sim.StartSite(t.Context(), sim.SiteConfig{Site: site, Community: "c", Now: clk.Now,
		Recorded: map[string]*sim.RecordingPlan{pdus[0].ID: eaton, pdus[1].ID: sentry}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Rewrite(site)
	rack, err := s.Rack(site.Halls[0].Rows[0].Racks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	rack.Set(9000)
	collector := snmp.NewCollector(nil)
	total := 0.0
	for i, p := range site.Halls[0].Rows[0].Racks[0].PDUs {
		target := snmp.Target{Address: p.SNMP.Address, Credentials: snmp.Credentials{Community: snmp.NewSecret("c")}}
		st := collector.Poll(t.Context(), target, snmp.Auto{})
		if !st.OK {
			t.Fatalf("%s: %s: %s", p.ID, st.Reason, st.Err)
		}
		w, ok := reading(st, collectors.PowerWatts, collectors.ScopeDevice, 0)
		feed := sim.FeedA
		if i == 1 {
			feed = sim.FeedB
		}
		if want := rack.FeedLoad(feed); !ok || math.Abs(w-want) > 1 {
			t.Errorf("%s: device power got %v (present %v), want %v, its feed's share", p.ID, w, ok, want)
		}
		total += w
	}
	if math.Abs(total-9000) > 2 {
		t.Errorf("rack draw: got %v W over its PDUs, want 9000", total)
	}
}

// checkApparent checks that apparent power is power over the device's
// power factor, where it reports both.
func checkApparent(t *testing.T, st collectors.Status, load, resolution float64) {
	t.Helper()
	va, ok := reading(st, collectors.ApparentPowerVA, collectors.ScopeDevice, 0)
	pf, okPF := reading(st, collectors.PowerFactorRatio, collectors.ScopeDevice, 0)
	if !ok || !okPF || pf < 0.5 {
		return
	}
	// The power factor is read to 0.01: that much, and the resolution.
	if want := load / pf; math.Abs(va-want) > want*0.01/pf+resolution {
		t.Errorf("apparent power: got %v VA, want %v W / PF %v = %v VA", va, load, pf, want)
	}
}

// checkIdle checks that outlets the recording shows drawing nothing still
// draw nothing: the load is shared as the recording shares it.
func checkIdle(t *testing.T, st collectors.Status, plan *sim.RecordingPlan) {
	t.Helper()
	busy := false // some outlet drew power when recorded
	for _, o := range plan.Live() {
		busy = busy || (o.Reading.Metric == collectors.PowerWatts && o.Reading.Scope == collectors.ScopeOutlet && o.Reading.Value > 0)
	}
	for _, o := range plan.Live() {
		r := o.Reading
		if !busy || r.Metric != collectors.PowerWatts || r.Scope != collectors.ScopeOutlet || r.Value != 0 {
			continue
		}
		if got, ok := reading(st, r.Metric, r.Scope, r.Index); !ok || got != 0 {
			t.Errorf("outlet %d, idle in the recording: got %v W (present %v), want 0", r.Index, got, ok)
		}
	}
}

// recordedReading is the device-scope reading of metric m as recorded.
func recordedReading(plan *sim.RecordingPlan, m collectors.Metric) (float64, bool) {
	for _, o := range plan.Live() {
		if o.Reading.Metric == m && o.Reading.Scope == collectors.ScopeDevice {
			return o.Reading.Value, true
		}
	}
	return 0, false
}

// checkPhasesEven checks that the phases in use share the load evenly, as
// the simulator's racks spread it, whatever balance the recording caught
// (the Sentry4's 24/26/50 %).
func checkPhasesEven(t *testing.T, st collectors.Status, resolution float64) {
	t.Helper()
	lo, hi := math.Inf(1), 0.0
	for _, r := range st.Readings {
		if r.Metric == collectors.PowerWatts && r.Scope == collectors.ScopePhase && r.Value > 0 {
			lo, hi = min(lo, r.Value), max(hi, r.Value)
		}
	}
	if hi > 0 && hi-lo > resolution {
		t.Errorf("phase power: from %v to %v W, want the phases in use even", lo, hi)
	}
}

// checkRestAsRecorded checks that the device serves every object the plan
// does not overlay as recorded: sentinels stay sentinels, voltages and
// names stay what the device said.
func checkRestAsRecorded(t *testing.T, file string, plan *sim.RecordingPlan, pdu *sim.RecordedPDU) {
	t.Helper()
	recs, err := sim.LoadSnmprec(filepath.Join(peer.Recordings(t), file))
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, o := range plan.Live() {
		live[o.OID.String()] = true
	}
	want := map[string]sim.Value{}
	for _, r := range recs {
		want[r.OID.String()] = r.Value // the last of a repeated OID wins
	}
	n := 0
	pdu.View().Walk(func(oid sim.OID, v sim.Value) bool {
		n++
		if w := want[oid.String()]; !live[oid.String()] && (v.Type != w.Type || v.String() != w.String()) {
			t.Errorf("%s: got %v %v, want %v %v as recorded", oid, v.Type, v, w.Type, w)
		}
		return true
	})
	if n != len(want) {
		t.Errorf("served %d objects, want the %d recorded", n, len(want))
	}
}
