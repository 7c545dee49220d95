package agent

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// TestSimulatedBMCs runs an agent against a simulated rack whose servers
// all have a BMC, and checks what it pushes: each server's power, and, per
// feed, its servers' PSU input power summing to what the feed's PDU
// measures. The simulated PSU sensors read input power, the side the PDU
// measures (PSU losses are inside both), so the two differ only by the
// readings' resolution: half a count of each PSU sensor, and the PDU's
// 10 W.
func TestSimulatedBMCs(t *testing.T) {
	site := inventory.Reference(1)
	at := time.Date(2025, 3, 4, 14, 0, 0, 0, time.UTC) // the clock stands still: loads do not move
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: site, Community: "c0mm", Now: func() time.Time { return at }, Refresh: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.StartBMCs(ctx, site, sim.BMCConfig{Servers: -1, User: "admin", Password: "bmc-pw", Credentials: "bmc"}); err != nil {
		t.Fatal(err)
	}
	s.Rewrite(site)
	if err := site.Validate(); err != nil {
		t.Fatalf("the rewritten site: %v", err)
	}
	k := site.Halls[0].Rows[0].Racks[0]
	log := slog.New(slog.DiscardHandler)
	targets, _ := Targets(site, Selection{}, map[string]snmp.Credentials{"snmp-ro": {Community: snmp.NewSecret("c0mm")}}, snmp.NewCollector(log))
	bmcs, skipped := BMCTargets(site, Selection{}, map[string]BMCCredentials{"bmc": {User: "admin", Password: ipmi.NewPassword("bmc-pw")}}, log)
	if len(bmcs) != len(k.Servers) || len(skipped) != 0 {
		t.Fatalf("got %d BMC targets (%v skipped), want %d", len(bmcs), skipped, len(k.Servers))
	}
	p := &fakePusher{}
	a, err := New(Config{Name: "a1", Pusher: p, Targets: append(targets, bmcs...), Interval: 200 * time.Millisecond,
		FlushInterval: 20 * time.Millisecond, Timeout: 2 * time.Second, BMCTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- a.Run(runCtx) }()
	want := []string{k.PDUs[0].ID, k.PDUs[1].ID}
	for _, srv := range k.Servers {
		want = append(want, srv.ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for missing := want; len(missing) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no good poll of %v; last failures: %v", missing, p.failures())
		}
		time.Sleep(10 * time.Millisecond)
		last, left := p.lastOK(), missing[:0:0]
		for _, id := range missing {
			if _, ok := last[id]; !ok {
				left = append(left, id)
			}
		}
		missing = left
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got Run error %v, want context.Canceled", err)
	}

	last := p.lastOK()
	var slack float64
	byFeed := map[string]float64{}
	for _, srv := range k.Servers {
		st := last[srv.ID]
		psus := 0.0
		for j, f := range srv.PSUFeeds {
			w, ok := reading(st, collectors.PowerWatts, collectors.ScopePSU, j+1)
			if !ok {
				t.Fatalf("%s: no input power for PSU %d in %+v", srv.ID, j+1, st.Readings)
			}
			byFeed[f] += w
			psus += w
			slack += math.Ceil(srv.MaxW/255) / 2
		}
		w, ok := reading(st, collectors.PowerWatts, collectors.ScopeDevice, 0)
		if !ok || w < srv.IdleW*0.5 || math.Abs(w-psus) > float64(len(srv.PSUFeeds))*math.Ceil(srv.MaxW/255) {
			t.Errorf("%s: got server power %v (found %v), want its PSUs' %v, above half its idle %v W", srv.ID, w, ok, psus, srv.IdleW)
		}
	}
	for _, pdu := range k.PDUs {
		measured, ok := reading(last[pdu.ID], collectors.PowerWatts, collectors.ScopeDevice, 0)
		if !ok {
			t.Fatalf("%s: no power in %+v", pdu.ID, last[pdu.ID].Readings)
		}
		if got := byFeed[pdu.Feed]; math.Abs(got-measured) > slack/2+10 || got == 0 {
			t.Errorf("feed %s: the servers' PSUs sum to %.0f W, PDU %s measures %.0f W: want them within %.0f W", pdu.Feed, got, pdu.ID, measured, slack/2+10)
		} else {
			t.Logf("feed %s: the servers' PSUs sum to %.0f W, PDU %s measures %.0f W (%.2f %%)", pdu.Feed, got, pdu.ID, measured, 100*(got-measured)/measured)
		}
	}
}

// lastOK returns the last successful poll with readings of each device
// delivered.
func (f *fakePusher) lastOK() map[string]collectors.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]collectors.Status{}
	for _, b := range f.batches {
		for _, st := range b.Polls {
			if st.OK && len(st.Readings) > 0 {
				out[st.Device] = st
			}
		}
	}
	return out
}

func reading(st collectors.Status, m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
	for _, r := range st.Readings {
		if r.Metric == m && r.Scope == s && r.Index == i {
			return r.Value, true
		}
	}
	return 0, false
}

// failures returns the last failed poll of each device, as reason: error.
func (f *fakePusher) failures() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, b := range f.batches {
		for _, st := range b.Polls {
			if !st.OK {
				out[st.Device] = st.Reason + ": " + st.Err
			}
		}
	}
	return out
}
