package state

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// serverSite is inventory.Reference(4) with servers: four per rack, each
// 64 cores, 256 GiB, 200–800 W, fed A and B.
func serverSite() *inventory.Site {
	s := inventory.Reference(4)
	s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		k.Servers = nil
		for i := range 4 {
			k.Servers = append(k.Servers, inventory.Server{ID: fmt.Sprintf("%s-S%02d", k.ID, i+1), U: 1 + 2*i, HeightU: 2,
				PSUFeeds: []string{"A", "B"}, CPUMillicores: 64000, MemoryMiB: 262144, IdleW: 200, MaxW: 800})
		}
		return true
	})
	return s
}

// machineWithServers returns a machine holding serverSite.
func machineWithServers(t *testing.T) *Machine {
	t.Helper()
	m := New()
	mustApply(t, m, PutSite{Site: serverSite(), At: t0})
	return m
}

// decide asks the real engine where req goes on the machine's state.
func decide(t *testing.T, m *Machine, req placement.Request) []placement.Assignment {
	t.Helper()
	_, c := m.Cluster()
	return decideOn(t, c, req)
}

// decideOn asks the real engine where req goes on c.
func decideOn(t *testing.T, c *placement.Cluster, req placement.Request) []placement.Assignment {
	t.Helper()
	d, err := placement.New().Place(c, req, placement.Options{})
	if err != nil {
		t.Fatalf("place %s: got %v, want a decision", req.Name, err)
	}
	return d.Assignments
}

func req(name string, replicas int, watts float64) placement.Request {
	return placement.Request{Name: name, System: "portal", Replicas: replicas, CPUMillicores: 1000, MemoryMiB: 1024,
		Watts: watts, Spread: "server"}
}

// applyErr applies one command at the next index and returns its error.
func applyErr(m *Machine, c Command) error {
	_, err := m.Apply(m.View().Index()+1, c)
	return err
}

func TestPlaceCountsDeclaredPower(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 2, 399.2)
	as := decide(t, m, r)
	mustApply(t, m, Place{ID: "p1", Request: r, Assignments: as, At: t0})
	v := m.View()
	p, ok := v.Placement("p1")
	if !ok || p.Status != StatusPlaced || len(p.Assignments) != 2 {
		t.Fatalf("got %+v, %v, want placed with 2 replicas", p, ok)
	}
	// Watts are rounded up to whole watts: 2 × 400.
	var placed float64
	for _, k := range []string{rackA, rackB, "H1-R01-K02", "H2-R01-K01"} {
		w, res := v.RackUsage(k)
		placed += w
		if res != 0 {
			t.Errorf("%s reserved: got %v, want 0", k, res)
		}
	}
	if placed != 800 {
		t.Errorf("placed: got %v W, want 800", placed)
	}
	if got := p.Watts(); got != 800 {
		t.Errorf("Watts: got %v, want 800", got)
	}
}

func TestPlaceRefusesOverbookingDecidedOnAnOlderView(t *testing.T) {
	m := machineWithServers(t)
	// Each rack's budget is 15 kW; the feed failover limit of its two
	// 32 A PDUs is higher. Two decisions made on the same view both see
	// 15 kW free in the rack they pick; the second must be refused.
	_, old := m.Cluster()
	big := placement.Request{Name: "big", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 10000, Spread: "server", Hall: "H1", Row: "H1-R01"}
	first := decideOn(t, old, big)
	second := decideOn(t, old, big)
	if first[0].Rack != second[0].Rack {
		t.Fatalf("the engine is not deterministic: %s then %s", first[0].Rack, second[0].Rack)
	}
	mustApply(t, m, Place{ID: "p1", Request: big, Assignments: first, At: t0})
	before := m.View()
	err := applyErr(m, Place{ID: "p2", Request: big, Assignments: second, At: t0})
	if !errors.Is(err, ErrOverbooked) {
		t.Fatalf("got %v, want %v", err, ErrOverbooked)
	}
	var inf *placement.Infeasible
	if !errors.As(err, &inf) {
		t.Errorf("got %T, want it to wrap a *placement.Infeasible", err)
	}
	after := m.View()
	if _, ok := after.Placement("p2"); ok {
		t.Error("the refused placement is in the state")
	}
	if after.Index() != before.Index()+1 {
		t.Errorf("index: got %d, want %d (a refused entry still advances it)", after.Index(), before.Index()+1)
	}
	w1, _ := before.RackUsage(first[0].Rack)
	w2, _ := after.RackUsage(first[0].Rack)
	if w1 != 10000 || w2 != 10000 {
		t.Errorf("placed on %s: got %v then %v, want 10000 both", first[0].Rack, w1, w2)
	}
}

func TestPlaceCountsCommittedPeak(t *testing.T) {
	m := machineWithServers(t)
	pin := placement.Request{Name: "w", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 5000, Row: "H1-R01", Hall: "H1"}
	as := decide(t, m, pin)
	rack := as[0].Rack
	// The rack measured 11 kW at its peak: 15 − 11 = 4 kW left, 5 kW does
	// not fit, whatever the declared power says.
	mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{rack: 11000}, At: t0})
	if w, ok := m.View().RackPeakWatts(rack); !ok || w != 11000 {
		t.Fatalf("peak: got %v, %v, want 11000, true", w, ok)
	}
	if err := applyErr(m, Place{ID: "p1", Request: pin, Assignments: as, At: t0}); !errors.Is(err, ErrOverbooked) {
		t.Errorf("got %v, want %v", err, ErrOverbooked)
	}
	// 3.9 kW fits: rounded up to 3900 W, under the 4000 W left.
	small := pin
	small.Watts = 3899.5
	as[0].Watts = 3899.5
	if err := applyErr(m, Place{ID: "p2", Request: small, Assignments: as, At: t0}); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func TestPlaceRejects(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 1, 100)
	as := decide(t, m, r)
	mustApply(t, m, Place{ID: "taken", Key: "k1", Request: r, Assignments: as, At: t0})
	ghost := []placement.Assignment{{Replica: 0, Server: "nope", Rack: rackA, Watts: 100}}
	nan := []placement.Assignment{{Replica: 0, Server: as[0].Server, Rack: as[0].Rack, Watts: math.NaN()}}
	bad := r
	bad.Replicas = 0
	tests := []struct {
		name string
		cmd  Place
		want error
	}{
		{"no time", Place{ID: "a", Request: r, Assignments: as}, ErrMalformedCommand},
		{"no ID", Place{Request: r, Assignments: as, At: t0}, ErrMalformedCommand},
		{"duplicate ID", Place{ID: "taken", Request: r, Assignments: as, At: t0}, ErrDuplicatePlacement},
		{"key already used", Place{ID: "b", Key: "k1", Request: r, Assignments: as, At: t0}, ErrDuplicatePlacement},
		{"unknown server", Place{ID: "c", Request: r, Assignments: ghost, At: t0}, ErrInvalidPlacement},
		{"NaN watts", Place{ID: "d", Request: r, Assignments: nan, At: t0}, ErrInvalidPlacement},
		{"invalid request", Place{ID: "e", Request: bad, Assignments: as, At: t0}, ErrInvalidPlacement},
		{"no replicas", Place{ID: "f", Request: r, At: t0}, ErrInvalidPlacement},
		{"reservation expiring at once", Place{ID: "g", Request: r, Assignments: as, Reserve: true, ExpiresAt: t0, At: t0}, ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := m.View()
			if err := applyErr(m, tt.cmd); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got, want := len(m.View().Placements()), len(before.Placements()); got != want {
				t.Errorf("placements: got %d, want %d", got, want)
			}
		})
	}
	if p, ok := m.View().PlacementByKey("k1"); !ok || p.ID != "taken" {
		t.Errorf("by key: got %v, %v, want taken", p, ok)
	}
	if err := applyErr(New(), Place{ID: "x", Request: r, Assignments: as, At: t0}); !errors.Is(err, ErrInvalidPlacement) {
		t.Errorf("before any site: got %v, want %v", err, ErrInvalidPlacement)
	}
}

func TestReservationLifecycle(t *testing.T) {
	m := machineWithServers(t)
	r := req("batch", 1, 1000)
	as := decide(t, m, r)
	rack := as[0].Rack
	mustApply(t, m, Place{ID: "r1", Request: r, Assignments: as, Reserve: true, ExpiresAt: t0.Add(time.Hour), At: t0})
	if placed, res := m.View().RackUsage(rack); placed != 0 || res != 1000 {
		t.Fatalf("reserved: got placed %v reserved %v, want 0 and 1000", placed, res)
	}
	// Not yet due: nothing expires.
	mustApply(t, m, ExpireReservations{At: t0.Add(59 * time.Minute)})
	if _, ok := m.View().Placement("r1"); !ok {
		t.Fatal("expired before its time")
	}
	mustApply(t, m, ConfirmReservation{ID: "r1", At: t0.Add(30 * time.Minute)})
	p, _ := m.View().Placement("r1")
	if p.Status != StatusPlaced || !p.ExpiresAt.IsZero() {
		t.Errorf("confirmed: got %s expiring %v, want placed, no expiry", p.Status, p.ExpiresAt)
	}
	if placed, res := m.View().RackUsage(rack); placed != 1000 || res != 0 {
		t.Errorf("confirmed: got placed %v reserved %v, want 1000 and 0", placed, res)
	}
	// A confirmed placement never expires.
	mustApply(t, m, ExpireReservations{At: t0.Add(48 * time.Hour)})
	if _, ok := m.View().Placement("r1"); !ok {
		t.Error("a confirmed placement expired")
	}
	if err := applyErr(m, ConfirmReservation{ID: "r1", At: t0}); !errors.Is(err, ErrUnknownPlacement) {
		t.Errorf("confirm twice: got %v, want %v", err, ErrUnknownPlacement)
	}
}

func TestReservationExpires(t *testing.T) {
	m := machineWithServers(t)
	r := req("batch", 1, 1000)
	as := decide(t, m, r)
	mustApply(t, m, Place{ID: "r1", Key: "key", Request: r, Assignments: as, Reserve: true, ExpiresAt: t0.Add(time.Hour), At: t0})
	if err := applyErr(m, ConfirmReservation{ID: "r1", At: t0.Add(time.Hour)}); !errors.Is(err, ErrUnknownPlacement) {
		t.Errorf("confirm at expiry: got %v, want %v", err, ErrUnknownPlacement)
	}
	mustApply(t, m, ExpireReservations{At: t0.Add(time.Hour)})
	if _, ok := m.View().Placement("r1"); ok {
		t.Fatal("still there after its expiry")
	}
	if placed, res := m.View().RackUsage(as[0].Rack); placed != 0 || res != 0 {
		t.Errorf("after expiry: got placed %v reserved %v, want 0 and 0", placed, res)
	}
	// The key is remembered for KeyRetention, then forgotten.
	if _, ok := m.View().keys.get("key"); !ok {
		t.Error("key forgotten before its retention")
	}
	mustApply(t, m, ExpireReservations{At: t0.Add(KeyRetention + time.Second)})
	if _, ok := m.View().keys.get("key"); ok {
		t.Error("key remembered past its retention")
	}
}

func TestRemovePlacementFrees(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 1, 2000)
	as := decide(t, m, r)
	mustApply(t, m, Place{ID: "p1", Request: r, Assignments: as, At: t0}, RemovePlacement{ID: "p1", At: t0})
	if placed, _ := m.View().RackUsage(as[0].Rack); placed != 0 {
		t.Errorf("placed after removal: got %v, want 0", placed)
	}
	_, c := m.Cluster()
	for _, s := range c.Servers {
		if s.UsedCPUMillicores != 0 || s.UsedMemoryMiB != 0 {
			t.Errorf("%s: got %d m / %d MiB used, want 0", s.ID, s.UsedCPUMillicores, s.UsedMemoryMiB)
		}
	}
	if err := applyErr(m, RemovePlacement{ID: "p1", At: t0}); !errors.Is(err, ErrUnknownPlacement) {
		t.Errorf("remove twice: got %v, want %v", err, ErrUnknownPlacement)
	}
}

func TestPutSiteKeepsPlacementsAndRefusesDroppingTheirServers(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 1, 500)
	as := decide(t, m, r)
	mustApply(t, m, Place{ID: "p1", Request: r, Assignments: as, At: t0})
	// The same site again keeps the placement and its usage.
	mustApply(t, m, PutSite{Site: serverSite(), At: t0})
	if placed, _ := m.View().RackUsage(as[0].Rack); placed != 500 {
		t.Errorf("after the same site: got %v W placed, want 500", placed)
	}
	s := serverSite()
	s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if k.ID == as[0].Rack {
			k.Servers = nil
		}
		return true
	})
	if err := applyErr(m, PutSite{Site: s, At: t0}); !errors.Is(err, ErrInUse) {
		t.Errorf("dropping a used server: got %v, want %v", err, ErrInUse)
	}
}

func TestSnapshotKeepsPlacements(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 3, 333.3)
	mustApply(t, m, Place{ID: "p1", Key: "k", Request: r, Assignments: decide(t, m, r), At: t0})
	mustApply(t, m, Place{ID: "r1", Request: r, Assignments: decide(t, m, r), Reserve: true, ExpiresAt: t0.Add(time.Hour), At: t0})
	mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{rackA: 4321.5}, At: t0})
	var a bytes.Buffer
	if _, err := m.View().WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	r2 := New()
	if err := r2.Restore(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatalf("restore: got %v, want nil", err)
	}
	var b bytes.Buffer
	if _, err := r2.View().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("snapshot after restore differs:\n%s\n%s", a.Bytes(), b.Bytes())
	}
	for _, k := range []string{rackA, rackB, "H1-R01-K02", "H2-R01-K01"} {
		p1, r1 := m.View().RackUsage(k)
		p2, r2u := r2.View().RackUsage(k)
		if p1 != p2 || r1 != r2u {
			t.Errorf("%s: got %v/%v after restore, want %v/%v", k, p2, r2u, p1, r1)
		}
	}
	if p, ok := r2.View().PlacementByKey("k"); !ok || p.ID != "p1" {
		t.Errorf("key after restore: got %v, %v", p, ok)
	}
	if w, _ := r2.View().RackPeakWatts(rackA); w != 4322 {
		t.Errorf("peak after restore: got %v, want 4322 (rounded up)", w)
	}
}

func TestRecordRackPeaksRejects(t *testing.T) {
	m := machineWithServers(t)
	for _, w := range []float64{math.NaN(), math.Inf(1), -1} {
		if err := applyErr(m, RecordRackPeaks{Peaks: map[string]float64{rackA: w}, At: t0}); !errors.Is(err, ErrMalformedCommand) {
			t.Errorf("%v W: got %v, want %v", w, err, ErrMalformedCommand)
		}
	}
	mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{"no-such-rack": 5}, At: t0})
	if _, ok := m.View().RackPeakWatts("no-such-rack"); ok {
		t.Error("kept the peak of a rack the inventory does not have")
	}
}

func TestOldKeysBoundedInNumber(t *testing.T) {
	keys := map[string]keyRecord{}
	for i := range MaxKeys + 3 {
		keys[fmt.Sprintf("k%06d", i)] = keyRecord{ID: "p", At: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	v := &View{keys: cowOf(keys)}
	old := v.oldKeys(t0.Add(time.Minute))
	if len(old) != 3 || old[0] != "k000000" || old[2] != "k000002" {
		t.Errorf("got %d keys to forget (%v…), want the 3 oldest", len(old), old[:min(3, len(old))])
	}
}

func TestRestoreReadsFormat1(t *testing.T) {
	// A snapshot written before placements existed.
	m := New()
	if err := m.Restore(bytes.NewReader([]byte(`{"format":1,"index":3,"updated":"2026-11-30T09:00:00Z","site":null}`))); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if v := m.View(); v.Index() != 3 || len(v.Placements()) != 0 {
		t.Errorf("got index %d with %d placements, want 3 and 0", v.Index(), len(v.Placements()))
	}
}

func TestOldViewsKeepTheirUsageAndEpoch(t *testing.T) {
	m := machineWithServers(t)
	r := req("api", 1, 1000)
	as := decide(t, m, r)
	before := m.View()
	mustApply(t, m, Place{ID: "p1", Request: r, Assignments: as, At: t0})
	after := m.View()
	if w, _ := before.RackUsage(as[0].Rack); w != 0 {
		t.Errorf("the view before the Place: got %v W placed, want 0", w)
	}
	if _, ok := before.Placement("p1"); ok {
		t.Error("the view before the Place holds it")
	}
	if after.Epoch() != before.Epoch() {
		t.Errorf("an accepted Place changed the epoch: %d → %d", before.Epoch(), after.Epoch())
	}
	mustApply(t, m, RemovePlacement{ID: "p1", At: t0})
	if m.View().Released() == after.Released() {
		t.Error("a RemovePlacement kept Released: a copy of the cluster taken before it looks complete")
	}
	if w, _ := after.RackUsage(as[0].Rack); w != 1000 {
		t.Errorf("the view after the Place: got %v W placed, want 1000", w)
	}
	e := m.View().Epoch()
	_ = applyErr(m, Place{ID: "bad", Request: r, At: t0}) // refused: no replicas
	if m.View().Epoch() == e {
		t.Error("a refused Place kept the epoch")
	}
}

func TestCowMap(t *testing.T) {
	var m cowMap[int]
	a := m.set("x", 1)
	b := a.set("y", 2).set("x", 3)
	c := b.del("x").del("nope")
	if v, ok := a.get("x"); !ok || v != 1 || a.len() != 1 {
		t.Errorf("a: got %v %v len %d, want 1 true 1", v, ok, a.len())
	}
	if v, _ := b.get("x"); v != 3 || b.len() != 2 {
		t.Errorf("b: got x=%v len %d, want 3 and 2", v, b.len())
	}
	if _, ok := c.get("x"); ok || c.len() != 1 {
		t.Errorf("c: got x present %v len %d, want absent and 1", ok, c.len())
	}
	if got := fmt.Sprint(b.sorted()); got != "[x y]" {
		t.Errorf("sorted: got %s, want [x y]", got)
	}
	if got := cowOf(b.toMap()); got.len() != 2 {
		t.Errorf("cowOf(toMap): got len %d, want 2", got.len())
	}
	if m.toMap() != nil || m.len() != 0 {
		t.Error("the zero map is not empty")
	}
}

func TestPlacementsPendingUntilThePeakHoldsThem(t *testing.T) {
	m := machineWithServers(t)
	pin := placement.Request{Name: "w", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 4000, Hall: "H1", Row: "H1-R01"}
	as := decide(t, m, pin)
	rack := as[0].Rack
	onRack := func(w float64) []placement.Assignment {
		out := append([]placement.Assignment(nil), as...)
		out[0].Watts = w
		return out
	}
	// The rack measured 10 kW over the day before t0: nothing of it is
	// declared (servers that ran before dcplane).
	mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{rack: 10000}, Horizon: 24 * time.Hour, At: t0})
	mustApply(t, m, Place{ID: "p1", Request: pin, Assignments: onRack(4000), At: t0.Add(time.Hour)})
	// 10 kW measured + 4 kW placed since = 14 kW: 1 kW left, not 5.
	small := pin
	small.Watts = 1001
	if err := applyErr(m, Place{ID: "p2", Request: small, Assignments: onRack(1001), At: t0.Add(2 * time.Hour)}); !errors.Is(err, ErrOverbooked) {
		t.Fatalf("1001 W more: got %v, want %v", err, ErrOverbooked)
	}
	// A day later the peak (14 kW) holds p1, placed before the start of its
	// horizon: p1 counts once, and 1 kW is left.
	mustApply(t, m, RecordRackPeaks{Peaks: map[string]float64{rack: 14000}, Horizon: 24 * time.Hour, At: t0.Add(26 * time.Hour)})
	if _, c := m.Cluster(); c.Racks[m.View().rackIdx[rack]].PendingWatts != 0 {
		t.Errorf("pending after a peak that holds p1: got %v, want 0", c.Racks[m.View().rackIdx[rack]].PendingWatts)
	}
	small.Watts = 1000
	if err := applyErr(m, Place{ID: "p3", Request: small, Assignments: onRack(1000), At: t0.Add(27 * time.Hour)}); err != nil {
		t.Errorf("1000 W: got %v, want it to fit", err)
	}
	// Pending survives a snapshot and a rebuild.
	var b bytes.Buffer
	if _, err := m.View().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(&b); err != nil {
		t.Fatal(err)
	}
	_, c1 := m.Cluster()
	_, c2 := r.Cluster()
	i := m.View().rackIdx[rack]
	if c1.Racks[i].PendingWatts != 1000 || c2.Racks[i].PendingWatts != 1000 {
		t.Errorf("pending: got %v live and %v restored, want 1000 both (p3)", c1.Racks[i].PendingWatts, c2.Racks[i].PendingWatts)
	}
	mustApply(t, m, RemovePlacement{ID: "p3", At: t0.Add(28 * time.Hour)})
	if _, c := m.Cluster(); c.Racks[i].PendingWatts != 0 {
		t.Errorf("pending after removing p3: got %v, want 0", c.Racks[i].PendingWatts)
	}
}

func TestCowMapMany(t *testing.T) {
	var m cowMap[int]
	var old []cowMap[int]
	for i := range 5000 {
		m = m.set(fmt.Sprintf("k%d", i), i)
		if i%1000 == 0 {
			old = append(old, m)
		}
	}
	for i := range 5000 {
		if v, ok := m.get(fmt.Sprintf("k%d", i)); !ok || v != i {
			t.Fatalf("k%d: got %v %v, want %d", i, v, ok, i)
		}
	}
	for j, o := range old {
		if o.len() != j*1000+1 || len(o.toMap()) != o.len() {
			t.Errorf("version %d: got len %d (%d in the map), want %d", j, o.len(), len(o.toMap()), j*1000+1)
		}
		if _, ok := o.get("k4999"); ok {
			t.Errorf("version %d sees a key set after it", j)
		}
	}
	for i := range 2500 {
		m = m.del(fmt.Sprintf("k%d", i))
	}
	if m.len() != 2500 || len(m.sorted()) != 2500 {
		t.Errorf("after deleting half: got len %d, %d sorted, want 2500", m.len(), len(m.sorted()))
	}
	if c := cowOf(m.toMap()); c.len() != 2500 {
		t.Errorf("cowOf: got len %d, want 2500", c.len())
	}
}

func BenchmarkCowMapSet(b *testing.B) {
	in := map[string]keyRecord{}
	for i := range 100_000 {
		in[fmt.Sprintf("key-%d", i)] = keyRecord{ID: "p"}
	}
	m := cowOf(in)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m = m.set(fmt.Sprintf("new-%d", i), keyRecord{ID: "q"})
	}
}
