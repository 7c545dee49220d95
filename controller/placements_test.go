package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

// openNode starts a single-node controller in dir with site applied.
func openNode(t testing.TB, dir string, site *inventory.Site) *Node {
	t.Helper()
	return openNodeAt(t, dir, site, time.Now)
}

// openNodeAt is openNode with the node's clock.
func openNodeAt(t testing.TB, dir string, site *inventory.Site, now func() time.Time) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Open(ctx, Config{NodeID: "c1", DataDir: dir, RaftAddr: "127.0.0.1:0", Bootstrap: true,
		StaleAfter: 30 * time.Second, AccountEvery: time.Hour, Peers: noPeers, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.WaitForLeader(ctx); err != nil {
		n.Close()
		t.Fatal(err)
	}
	if _, err := n.PutSite(ctx, site); err != nil {
		n.Close()
		t.Fatal(err)
	}
	return n
}

// noPeers is Config.Peers for a node alone in its cluster, which never
// asks another controller anything.
func noPeers(urls string, _ time.Duration) (Peer, error) {
	return nil, fmt.Errorf("test: no other controller to reach at %s", urls)
}

func TestShadowCountsDecisionsInFlight(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(4))
	defer n.Close()
	// Hall H1 has two racks of 15 kW: two 10 kW decisions in flight at
	// once must go to different racks, and a third finds no room.
	big := placement.Request{Name: "big", Replicas: 1, CPUMillicores: 500, MemoryMiB: 512, Watts: 10000, Hall: "H1"}
	first, _, err := n.decideOne(big, "", false, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := n.decideOne(big, "", false, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Assignments[0].Rack == second.Assignments[0].Rack {
		t.Fatalf("two decisions in flight on rack %s", first.Assignments[0].Rack)
	}
	var inf *placement.Infeasible
	if _, _, err := n.decideOne(big, "", false, 0, false); !errors.As(err, &inf) {
		t.Fatalf("third: got %v, want infeasible", err)
	}
	// The state refuses the first (say): its room is free again.
	n.settle(first, fmt.Errorf("apply: %w", state.ErrOverbooked))
	again, _, err := n.decideOne(big, "", false, 0, false)
	if err != nil {
		t.Fatalf("after a refusal: got %v, want the room back", err)
	}
	if again.Assignments[0].Rack != first.Assignments[0].Rack {
		t.Errorf("after a refusal: got rack %s, want %s", again.Assignments[0].Rack, first.Assignments[0].Rack)
	}
	// A dry run holds nothing.
	n.settle(again, fmt.Errorf("apply: %w", state.ErrOverbooked))
	if _, _, err := n.decideOne(big, "", false, 0, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.decideOne(big, "", false, 0, false); err != nil {
		t.Errorf("after a dry run: got %v, want the room still free", err)
	}
}

// TestShadowKeptThroughRemovals checks that a removal does not make the
// leader copy the cluster before its next decision (the shadow still counts
// the freed room, which is safe), that a request finding no room is
// decided again on a fresh shadow that sees the freed room, and that the
// shadow is built anew freedRefresh after room was freed.
func TestShadowKeptThroughRemovals(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	n := openNodeAt(t, t.TempDir(), inventory.Reference(4), func() time.Time { return time.Unix(0, clock.Load()) })
	defer n.Close()
	ctx := context.Background()
	current := func() *shadow {
		n.placeMu.Lock()
		defer n.placeMu.Unlock()
		return n.sh
	}
	// Hall H1 has two racks of 15 kW: two 10 kW placements fill it.
	big := placement.Request{Name: "big", Replicas: 1, CPUMillicores: 500, MemoryMiB: 512, Watts: 10000, Hall: "H1"}
	small := placement.Request{Name: "small", Replicas: 1, CPUMillicores: 500, MemoryMiB: 512, Watts: 1000, Hall: "H1"}
	first, _, err := n.Place(ctx, big, "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := n.Place(ctx, big, "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	var inf *placement.Infeasible
	if _, _, err := n.Place(ctx, big, "", false, false); !errors.As(err, &inf) {
		t.Fatalf("third: got %v, want infeasible", err)
	}
	kept := current()
	if err := n.RemovePlacement(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.Place(ctx, small, "", false, false); err != nil {
		t.Fatal(err)
	}
	if current() != kept {
		t.Error("a removal made the leader build its shadow anew before the next decision")
	}
	again, _, err := n.Place(ctx, big, "", false, false)
	if err != nil {
		t.Fatalf("after a removal: got %v, want the freed room", err)
	}
	if got, want := again.Assignments[0].Rack, first.Assignments[0].Rack; got != want {
		t.Errorf("after a removal: got rack %s, want the freed %s", got, want)
	}
	if current() == kept {
		t.Error("a request that found no room was not decided again on a fresh shadow")
	}
	kept = current()
	if err := n.RemovePlacement(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(freedRefresh))
	if _, _, err := n.Place(ctx, small, "", false, false); err != nil {
		t.Fatal(err)
	}
	if current() == kept {
		t.Errorf("room freed %v ago: the shadow was kept, want it built anew", freedRefresh)
	}
}

// TestAccountKeepsAnUnchangedOverlay checks that the power accounting,
// every AccountEvery, replaces the live overlay only when what it holds
// changed: a new one makes the next decision copy the whole cluster.
func TestAccountKeepsAnUnchangedOverlay(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	now := time.Now()
	n.account(now)
	first := n.live.Load()
	n.account(now.Add(time.Second))
	if n.live.Load() != first {
		t.Error("an accounting that found nothing new replaced the overlay")
	}
	n.cfg.DeclaredOnly = true // every rack's unknown draw now judged otherwise
	n.account(now.Add(2 * time.Second))
	if n.live.Load() == first {
		t.Error("an accounting that found the racks' staleness changed kept the old overlay")
	}
}

func TestOverlay(t *testing.T) {
	c := &placement.Cluster{Racks: []placement.Rack{{ID: "K1", PeakWatts: 5000, PeakKnown: true}, {ID: "K2"}, {ID: "K3"},
		{ID: "K4", PeakWatts: 3000, PeakKnown: true}}}
	overlay(c, &live{stale: map[string]bool{"K1": true}, peaks: map[string]float64{"K1": 4000, "K2": 7000, "K4": 6000}})
	want := []struct {
		stale bool
		peak  float64
		known bool
	}{{true, 5000, true}, {false, 7000, true}, {false, 0, false}, {false, 6000, true}}
	for i, w := range want {
		r := c.Racks[i]
		if r.Stale != w.stale || r.PeakWatts != w.peak || r.PeakKnown != w.known {
			t.Errorf("%s: got stale %v peak %v known %v, want %v %v %v", r.ID, r.Stale, r.PeakWatts, r.PeakKnown, w.stale, w.peak, w.known)
		}
	}
	overlay(c, nil) // no overlay yet: nothing changes
	if !c.Racks[0].Stale {
		t.Error("a nil overlay changed the cluster")
	}
}

func TestAccountMarksUnknownDrawStale(t *testing.T) {
	for _, declaredOnly := range []bool{false, true} {
		n := openNode(t, t.TempDir(), inventory.Reference(2))
		n.cfg.DeclaredOnly = declaredOnly
		n.account(time.Now()) // no agent: every rack's draw is unknown
		l := n.live.Load()
		if l == nil || len(l.stale) != 2 {
			t.Fatalf("declared-only %v: got %+v, want both racks judged", declaredOnly, l)
		}
		for id, stale := range l.stale {
			if stale == declaredOnly {
				t.Errorf("declared-only %v: rack %s stale %v, want %v", declaredOnly, id, stale, !declaredOnly)
			}
		}
		n.Close()
	}
}

// TestDeclared checks the declared power the DeclaredPowerExceeded rule
// judges: only racks with placements, their servers without placements
// at their maximum draw.
func TestDeclared(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got := declared(n.store.State()); len(got) != 0 {
		t.Fatalf("no placements: got %v, want no rack judged", got)
	}
	p, _, err := n.Place(ctx, placement.Request{Name: "mail", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 700}, "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	rack, server := p.Assignments[0].Rack, p.Assignments[0].Server
	got := declared(n.store.State())
	var want float64 = 700
	n.store.State().Site().Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if k.ID == rack {
			for _, s := range k.Servers {
				if s.ID != server {
					want += s.MaxW
				}
			}
		}
		return true
	})
	if d, ok := got[rack]; len(got) != 1 || !ok || d.Watts != want || len(d.Placements) != 1 || d.Placements[0] != p.ID {
		t.Errorf("got %+v, want only %s at %v W (700 placed + the other servers' max), naming %s", got, rack, want, p.ID)
	}
}

// TestOpenNeedsPeers: a node that cannot reach the other controllers could
// neither join nor learn the leader's commit, so Open refuses it.
func TestOpenNeedsPeers(t *testing.T) {
	_, err := Open(context.Background(), Config{NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "Peers") {
		t.Errorf("got %v, want an error naming Peers", err)
	}
}

// BenchmarkNodePlaceChurn is BenchmarkNodePlace with departures: each of
// the 64 goroutines removes its previous placement after placing the next,
// as platform teams deploy and delete. Its ns/op is wall time per placement
// (and one removal).
func BenchmarkNodePlaceChurn(b *testing.B) {
	n := openNode(b, b.TempDir(), inventory.Reference(inventory.ReferenceRacks))
	defer n.Close()
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		last := ""
		for pb.Next() {
			i := next.Add(1)
			req := placement.Request{Name: fmt.Sprintf("w%d", i), System: "portal", Replicas: 1, CPUMillicores: 500,
				MemoryMiB: 1024, Watts: 40, BothFeeds: true}
			p, _, err := n.Place(context.Background(), req, fmt.Sprintf("k%d", i), false, false)
			if err != nil {
				b.Errorf("place %d: %v", i, err)
				return
			}
			if last != "" {
				if err := n.RemovePlacement(context.Background(), last); err != nil {
					b.Errorf("remove %s: %v", last, err)
					return
				}
			}
			last = p.ID
		}
	})
}

// BenchmarkNodePlace is the leader's share of a placement without HTTP:
// 64 goroutines place single replicas with idempotency keys on the
// reference site (460 racks, about 18,000 servers), each decided on the
// shadow and committed through Raft (bolt, fsync) before it returns. Its
// ns/op is wall time per placement at that concurrency.
func BenchmarkNodePlace(b *testing.B) {
	n := openNode(b, b.TempDir(), inventory.Reference(inventory.ReferenceRacks))
	defer n.Close()
	profile := make([]float64, 24)
	for h := range profile {
		profile[h] = 0.3 + 0.7*float64(h%12)/12
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			req := placement.Request{Name: fmt.Sprintf("w%d", i), System: "portal", Replicas: 1, CPUMillicores: 500,
				MemoryMiB: 1024, Watts: 40, BothFeeds: true, Profile: profile}
			if _, _, err := n.Place(context.Background(), req, fmt.Sprintf("k%d", i), false, false); err != nil {
				b.Errorf("place %d: %v", i, err)
				return
			}
		}
	})
}
