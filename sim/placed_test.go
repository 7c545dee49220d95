package sim

import (
	"context"
	"errors"
	"math"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/inventory"
)

// TestRackPlacedLoad: placed workloads add their watts to the rack's own
// load, each shaped by its profile at the hour (UTC) of the rack's clock,
// flat without one, never negative; nil takes them away.
func TestRackPlacedLoad(t *testing.T) {
	// 09:30 at UTC+5 is 04:30 UTC: hour 4 of the profile, not 9.
	clock := &fakeClock{t: time.Date(2025, 3, 4, 9, 30, 0, 0, time.FixedZone("UTC+5", 5*3600))}
	profile := make([]float64, 24)
	for h := range profile {
		profile[h] = float64(h) / 24
	}
	r := NewRack(LoadModel{}, clock.Now)
	r.Set(5000)
	r.SetPlaced([]PlacedLoad{{Watts: 1200, Profile: profile}, {Watts: 300}, {Watts: -800}, {Watts: 500, Profile: []float64{0.5}}})
	// 1200 × 4/24 + 300 flat + 0 (never negative) + 500 (a profile of the wrong length is flat)
	tests := []struct {
		at         time.Duration
		wantPlaced float64
	}{
		{0, 200 + 300 + 500},
		{time.Hour, 250 + 300 + 500},    // hour 5
		{20 * time.Hour, 0 + 300 + 500}, // hour 0 of the next day: 0 × 1200
	}
	start := clock.Now()
	for _, tt := range tests {
		clock.t = start.Add(tt.at)
		if got := r.PlacedLoad(); math.Abs(got-tt.wantPlaced) > 1e-9 {
			t.Errorf("at %v: got placed %v W, want %v", clock.t.UTC(), got, tt.wantPlaced)
		}
		if got, want := r.Load(), 5000+tt.wantPlaced; math.Abs(got-want) > 1e-9 {
			t.Errorf("at %v: got load %v W, want %v", clock.t.UTC(), got, want)
		}
	}
	r.SetPlaced([]PlacedLoad{{Watts: 100, Profile: []float64{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}}})
	if got := r.Load(); got != 5000 {
		t.Errorf("negative profile: got load %v W, want 5000 (placed load never negative)", got)
	}
	r.SetPlaced(nil)
	if got := r.Load(); got != 5000 || r.PlacedLoad() != 0 {
		t.Errorf("placements removed: got load %v W (placed %v), want 5000 (0)", got, r.PlacedLoad())
	}
}

// TestSitePlacedLoad reads, over SNMP, the input power of a rack's PDUs:
// placing 2 kW raises their sum by 2 kW, each feed by its share of it, and
// taking the placements away restores what they read before.
func TestSitePlacedLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clock := newFakeClock()
	inv := inventory.Reference(2)
	s, err := StartSite(ctx, SiteConfig{Site: inv, Community: "placed", Now: clock.Now, Refresh: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := &inv.Halls[0].Rows[0].Racks[0]
	rack, err := s.Rack(k.ID)
	if err != nil {
		t.Fatal(err)
	}
	rack.Set(6000)
	read := func() map[string]float64 { // watts of each of the rack's PDUs, resampled
		clock.Advance(time.Second)
		w := map[string]float64{}
		for _, p := range k.PDUs {
			w[p.Feed] += 10 * float64(s.getInt(t, p.ID, "placed", col(rpdu2DevStatus, 5, 1)))
		}
		return w
	}
	before := read()
	if err := s.SetPlaced(map[string][]PlacedLoad{k.ID: {{Watts: 1500}, {Watts: 500}}}); err != nil {
		t.Fatalf("SetPlaced: got %v, want nil", err)
	}
	after := read()
	if got := after[k.Feeds[0]] + after[k.Feeds[1]] - before[k.Feeds[0]] - before[k.Feeds[1]]; math.Abs(got-2000) > 10 {
		t.Errorf("PDUs' input power: got %v W more, want 2000 (± the MIB's 10 W resolution)", got)
	}
	for i, f := range []Feed{FeedA, FeedB} {
		feed := k.Feeds[i]
		if got, want := after[feed]-before[feed], 2000*rack.Share(f); math.Abs(got-want) > 10 {
			t.Errorf("feed %s: got %v W more, want %v (its share)", feed, got, want)
		}
	}
	if err := s.SetPlaced(nil); err != nil {
		t.Fatalf("SetPlaced(nil): got %v, want nil", err)
	}
	if got := read(); got[k.Feeds[0]] != before[k.Feeds[0]] || got[k.Feeds[1]] != before[k.Feeds[1]] {
		t.Errorf("placements removed: got %v, want %v as before", got, before)
	}
}

// TestSiteSetPlacedUnknown: a placement on a rack the site lacks is named
// in an error wrapping ErrUnknown; the racks it has still follow theirs,
// and the racks not named go back to their own load.
func TestSiteSetPlacedUnknown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inv := inventory.Reference(2)
	s, err := StartSite(ctx, SiteConfig{Site: inv, Community: "placed"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	inv.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		ids = append(ids, k.ID)
		return true
	})
	a, b := ids[0], ids[1]
	if err := s.SetPlaced(map[string][]PlacedLoad{b: {{Watts: 700}}}); err != nil {
		t.Fatal(err)
	}
	err = s.SetPlaced(map[string][]PlacedLoad{a: {{Watts: 300}}, "H9-R01-K02": {{Watts: 1}}, "H9-R01-K01": {{Watts: 1}}})
	if want := `sim: no such rack or device: placements on racks H9-R01-K01, H9-R01-K02`; !errors.Is(err, ErrUnknown) || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	ra, _ := s.Rack(a)
	rb, _ := s.Rack(b)
	if ra.PlacedLoad() != 300 || rb.PlacedLoad() != 0 {
		t.Errorf("got placed %v W on %s and %v W on %s, want 300 and 0", ra.PlacedLoad(), a, rb.PlacedLoad(), b)
	}
}

// getInt reads one integer object of a device of the site over SNMP.
func (s *Site) getInt(t *testing.T, device, community, oid string) int {
	t.Helper()
	host, port, err := net.SplitHostPort(s.addrs[device])
	if err != nil {
		t.Fatalf("device %s: %v", device, err)
	}
	p, _ := strconv.Atoi(port)
	c := &gosnmp.GoSNMP{Target: host, Port: uint16(p), Community: community, Version: gosnmp.Version2c, Timeout: 2 * time.Second, Retries: 1}
	if err := c.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Conn.Close()
	res, err := c.Get([]string{oid})
	if err != nil {
		t.Fatalf("get %s from %s: %v", oid, device, err)
	}
	return res.Variables[0].Value.(int)
}
