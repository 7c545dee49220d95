package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestMixedVendors runs a 4-rack demo whose PDUs serve recorded walks of
// real PDUs of several vendors (the profile left to auto-detection), pins
// each rack to its own load, waits until the controller reads every rack
// at that load through whatever PDUs it has, and sees no alert of a rack's
// power, redundancy or phases: the inventory says what the recorded PDUs
// are, so a rack at a plausible load (60 to 75 % of its budget, under
// RackPowerWarning's 80 %) is no alarm. (A 3-phase 32 A inventory over a
// single-phase 120 V recording fires RedundancyLost at once.)
func TestMixedVendors(t *testing.T) {
	dir := peer.Recordings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	site := inventory.Reference(4)
	d, err := Start(ctx, Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.5,
		Vendors: VendorsMixed, Recordings: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	profiles := map[string]bool{}
	want := map[string]float64{}
	i := 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, p := range k.PDUs {
			if p.SNMP.Profile != "auto" {
				t.Errorf("%s: inventory profile %q, want auto", p.ID, p.SNMP.Profile)
			}
			if rec := d.recorded[p.ID]; rec != nil {
				profiles[rec.profile] = true
			}
		}
		r, err := d.Sim().Rack(k.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[k.ID] = (0.75 - 0.05*float64(i)) * k.BudgetWatts()
		r.Set(want[k.ID])
		i++
		return true
	})
	if len(profiles) < 4 {
		t.Errorf("got PDUs of %d profiles %v, want at least 4", len(profiles), profiles)
	}
	waitFor(ctx, t, "every rack read at its load", func() error {
		rep, err := d.node.Report(ctx)
		if err != nil {
			return err
		}
		if len(rep.Racks) != 4 {
			return fmt.Errorf("%d racks", len(rep.Racks))
		}
		for _, k := range rep.Racks {
			if k.DrawWatts == nil {
				return fmt.Errorf("%s is %s", k.ID, k.Status)
			}
			if got := *k.DrawWatts; math.Abs(got-want[k.ID]) > 25 { // rPDU2 reads tens of watts
				return fmt.Errorf("%s draws %v W, want %v", k.ID, got, want[k.ID])
			}
		}
		if s := d.vendorSummary(rep.Racks); !strings.Contains(s, "racks read 4/4") {
			return fmt.Errorf("summary %q does not say every rack is read", s)
		}
		return nil
	})
	// RedundancyLost, RackOverBudget and PhaseCurrentHigh would fire at
	// once, the others turn pending: a few evaluations show them.
	for range 8 {
		l, err := d.node.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range l.Alerts {
			if slices.Contains(falseAlarms, a.Rule) && (a.Status == alerts.StatusPending || a.Status == alerts.StatusFiring) {
				t.Errorf("%s %s %s: %s", a.Status, a.Rule, a.Object, a.Summary)
			}
		}
		if t.Failed() {
			return
		}
		time.Sleep(d.interval)
	}
}

// falseAlarms are the rules a mixed-vendor site at a plausible load must
// not raise: they judge the inventory's phases, breakers and budgets.
var falseAlarms = []alerts.Rule{alerts.RedundancyLost, alerts.PhaseImbalance, alerts.PhaseCurrentHigh,
	alerts.RackPowerWarning, alerts.RackPowerCritical, alerts.RackOverBudget}

// TestMixedInventoryTrueToRecordings: every PDU served by a recording has
// in the inventory the recording's phases, voltage and (where it reports
// one) rating; every rack's budget is carried by each feed alone within
// inventory.DerateFactor of its breakers, and is the most it can be (its
// budget before, or within 10 W of what its weakest feed carries); the
// site validates; the banner's line counts the racks derated.
func TestMixedInventoryTrueToRecordings(t *testing.T) {
	dir := peer.Recordings(t)
	site := inventory.Reference(24) // every recording the demo serves, several times
	before := map[string]float64{}
	threePhase := 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		before[k.ID] = k.BudgetWatts()
		for _, p := range k.PDUs {
			threePhase += b2i(p.Phases == 3)
		}
		return true
	})
	_, of, err := mixedPDUs(site, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Validate(); err != nil {
		t.Fatalf("the fitted site does not validate: %v", err)
	}
	var fit *derating
	phases := map[int]int{}
	derated := 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, p := range k.PDUs {
			rec := of[p.ID]
			if rec == nil {
				t.Errorf("%s: no recording", p.ID)
				continue
			}
			fit = rec.site
			plan := rec.plan
			phases[p.Phases]++
			if p.Phases != plan.Phases() {
				t.Errorf("%s (%s): inventory %d phases, the recording %d", p.ID, rec.file, p.Phases, plan.Phases())
			}
			if p.VoltageV != plan.Volts() {
				t.Errorf("%s (%s): inventory %v V, the recording %v V", p.ID, rec.file, p.VoltageV, plan.Volts())
			}
			if a, ok := plan.RatedAmps(); ok && p.BreakerA != a {
				t.Errorf("%s (%s): inventory breaker %v A, the recording's rating %v A", p.ID, rec.file, p.BreakerA, a)
			} else if !ok && p.BreakerA != 32 {
				t.Errorf("%s (%s): inventory breaker %v A, want the reference's 32 A (the recording has no rating)", p.ID, rec.file, p.BreakerA)
			}
		}
		weakest := math.Inf(1)
		for _, f := range k.Feeds {
			carry := 0.0
			for _, p := range k.PDUs {
				if p.Feed == f {
					carry += p.VoltageV * p.BreakerA * inventory.DerateFactor * float64(p.Phases)
				}
			}
			if k.BudgetWatts() > carry {
				t.Errorf("%s: budget %v W, but feed %s alone carries %v W", k.ID, k.BudgetWatts(), f, carry)
			}
			weakest = min(weakest, carry)
		}
		switch b := k.BudgetWatts(); {
		case b > before[k.ID]:
			t.Errorf("%s: budget raised from %v to %v W", k.ID, before[k.ID], b)
		case b < before[k.ID] && b < weakest-10:
			t.Errorf("%s: budget %v W, but its weakest feed carries %v W", k.ID, b, weakest)
		case b < before[k.ID]:
			derated++
		}
		return true
	})
	if threePhase == 0 || phases[1] == 0 || phases[3] == 0 {
		t.Errorf("phases: the reference had %d 3-phase PDUs, the fitted site %v: want single- and 3-phase recordings over a 3-phase inventory", threePhase, phases)
	}
	if derated == 0 {
		t.Error("no rack derated: single-phase recordings on the reference's 15 kW racks must derate them")
	}
	want := fmt.Sprintf("%d of %d racks derated", derated, len(before))
	if line := fit.line(); !strings.Contains(line, want) || !strings.Contains(line, "single-phase") {
		t.Errorf("banner line %q, want %q and why (single-phase)", line, want)
	}
}

// TestMixedVendorsWithoutRecordings: without the recorded walks the demo
// does not start, and says which folder it looked in.
func TestMixedVendorsWithoutRecordings(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "snmprec")
	_, err := Start(t.Context(), Config{Site: inventory.Reference(1), HTTPAddr: "127.0.0.1:0", Interval: time.Second,
		Vendors: VendorsMixed, Recordings: missing})
	if !errors.Is(err, ErrNoRecordings) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("got %v, want ErrNoRecordings naming %s", err, missing)
	}
	_, err = Start(t.Context(), Config{Site: inventory.Reference(1), HTTPAddr: "127.0.0.1:0", Interval: time.Second, Vendors: "dell"})
	if err == nil || !strings.Contains(err.Error(), `--vendors "dell"`) {
		t.Fatalf("got %v, want an error naming --vendors", err)
	}
}

// TestRunSimMixed: the standalone simulator with VendorsMixed writes the
// inventory fitted to its recordings, as the demo's (the same PDUs, phases,
// voltages, breakers and budgets), which validates, and says the racks it
// derated.
func TestRunSimMixed(t *testing.T) {
	recs := peer.Recordings(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	dir := t.TempDir()
	c := SimConfig{Site: inventory.Reference(3), InventoryOut: filepath.Join(dir, "site.yaml"), CommunityFile: filepath.Join(dir, "community"),
		Vendors: VendorsMixed, Recordings: recs}
	var out peer.Log
	done := make(chan error, 1)
	go func() { done <- RunSim(runCtx, c, &out) }()
	waitFor(ctx, t, "the derating said", func() error {
		if !strings.Contains(out.String(), "racks derated") {
			return fmt.Errorf("output %q", out.String())
		}
		return nil
	})
	got, err := inventory.LoadFile(c.InventoryOut)
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.Reference(3)
	_, of, err := mixedPDUs(want, recs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// The PDUs serve their recordings: each answers as its recording's profile.
	community, err := Community(c.CommunityFile)
	if err != nil {
		t.Fatal(err)
	}
	collector := snmp.NewCollector(nil)
	for id, ep := range got.Devices() {
		rec := of[id]
		if rec == nil {
			continue // a cooling unit
		}
		det, err := collector.Detect(ctx, snmp.Target{Address: ep.Address, Credentials: snmp.Credentials{Community: community}})
		if err != nil || det.Profile.Name() != rec.profile {
			t.Errorf("%s answers as %v (%v), want %s (%s)", id, det.Profile, err, rec.profile, rec.file)
		}
	}
	type rack struct {
		budget float64
		pdus   []string
	}
	describe := func(s *inventory.Site) map[string]rack {
		m := map[string]rack{}
		s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
			r := rack{budget: k.BudgetKW}
			for _, p := range k.PDUs {
				r.pdus = append(r.pdus, fmt.Sprintf("%s %s %d×%v V %v A %s", p.ID, p.Feed, p.Phases, p.VoltageV, p.BreakerA, p.SNMP.Profile))
			}
			m[k.ID] = r
			return true
		})
		return m
	}
	g, w := describe(got), describe(want)
	for id, r := range w {
		if !slices.Equal(g[id].pdus, r.pdus) || g[id].budget != r.budget {
			t.Errorf("%s: written %v, want %v", id, g[id], r)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("got %v from RunSim, want nil once stopped", err)
	}
}

// TestBudgetUnder: a derated budget's watts never exceed what its feed
// carries, as validation requires, float arithmetic included (4.03 kW is
// 4030.0000000000005 W), and waste at most 10 W of it.
func TestBudgetUnder(t *testing.T) {
	for w := 10.0; w <= 20000; w += 2.5 {
		kw := budgetUnder(w)
		if got := kw * 1000; got > w || got < w-10-1e-6 {
			t.Fatalf("budgetUnder(%v W) = %v kW: %v W, want at most %v W and within 10 W of it", w, kw, got, w)
		}
	}
}
