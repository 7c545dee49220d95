package placement

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// decisionsHash is the SHA-256 of the lines TestDecisionHash describes,
// recorded from the engine at 481d62f, before the work on its speed, and
// recorded again when the gpuAlign server scorer, then RoomWeight 2,
// changed the decisions of the requests asking for GPUs on purpose: every
// shortcut taken since must leave each server, rack, watts, candidate
// score and refusal reason as they were.
const decisionsHash = "10e05caa252b0b47ca9472a2cbe7524fdcb043818d01a11139317f871726926f"

// TestDecisionHash replays a fixed, seeded sequence of 3,000 requests of the
// city's shapes (1 to 8 replicas, some with GPUs, some with derived watts,
// some explained) with removals on the half-full reference site, and
// compares a hash of every decision and refusal with the one recorded
// before the engine was made faster.
func TestDecisionHash(t *testing.T) {
	if testing.Short() {
		t.Skip("3,000 decisions on the reference site")
	}
	e := New()
	c := siteCluster(t)
	halfFull(t, e, c)
	rng := rand.New(rand.NewSource(2026))
	shapes := cityShapes()
	type live struct {
		r  Request
		as []Assignment
	}
	var held []live
	h := sha256.New()
	placed, refused := 0, 0
	for i := range 3000 {
		if len(held) > 0 && rng.Intn(3) == 0 {
			j := rng.Intn(len(held))
			c.Remove(held[j].as, held[j].r)
			held = append(held[:j], held[j+1:]...)
			fmt.Fprintf(h, "%d remove %d\n", i, j)
			continue
		}
		r := shapes[rng.Intn(len(shapes))]
		switch rng.Intn(10) {
		case 0: // GPUs, which only the GPU racks have
			r = Request{Name: "train", CPUMillicores: 8000, MemoryMiB: 65536, GPUs: 1 + rng.Intn(4), Watts: 900, BothFeeds: true}
		case 1: // watts from each server's power model
			r.Watts, r.Utilisation = 0, 0.3+0.5*rng.Float64()
		case 2: // no spread, binpack or spread by headroom
			r.Spread = ""
			if rng.Intn(2) == 0 {
				r.Strategy = StrategySpread
			}
		}
		r.Name, r.Replicas = fmt.Sprintf("%s-h%d", r.Name, i), 1+rng.Intn(8)
		if r.GPUs > 0 {
			r.Replicas = 1 + r.Replicas%2
		}
		opt := Options{Explain: rng.Intn(8) == 0, TopN: 3}
		d, err := e.Place(c, r, opt)
		fmt.Fprintf(h, "%d %s×%d: %s\n", i, r.Name, r.Replicas, describe(d, err))
		if err != nil {
			refused++
			continue
		}
		placed++
		if err := c.Apply(d.Assignments, r); err != nil {
			t.Fatal(err)
		}
		held = append(held, live{r, d.Assignments})
		if i%500 == 499 {
			c = c.Clone()
		}
	}
	if placed < 500 || refused < 50 {
		t.Fatalf("placed %d, refused %d: want a sequence that both places and refuses", placed, refused)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != decisionsHash {
		t.Fatalf("hash of the decisions: got %s, want %s (placed %d, refused %d)", got, decisionsHash, placed, refused)
	}
}

// TestPeakHoursKept checks that Apply and Remove keep each rack's peak hour,
// from which a decision bounds the peak score, as Index finds it, and that a
// clone has its own.
func TestPeakHoursKept(t *testing.T) {
	c := cluster(2, rack2N("K1", 0, 10000), rack2N("K2", 0, 10000))
	for h := range 24 {
		c.Racks[0].ProfileWatts[h] = 1000
	}
	c.Racks[0].ProfileWatts[3] = 1500
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{3, 0}; !reflect.DeepEqual(c.peakHour, want) {
		t.Fatalf("Index: got %v, want %v", c.peakHour, want)
	}
	n := c.Clone()
	r := req(2000)
	r.Replicas, r.Profile = 2, noonProfile()
	as := []Assignment{at(0, "K1", "s1", 2000), at(1, "K2", "s2", 400)}
	if err := c.Apply(as, r); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{12, 12}; !reflect.DeepEqual(c.peakHour, want) {
		t.Errorf("Apply: got %v, want %v", c.peakHour, want)
	}
	if want := []uint8{3, 0}; !reflect.DeepEqual(n.peakHour, want) {
		t.Errorf("the clone: got %v, want %v", n.peakHour, want)
	}
	c.Remove(as, r)
	if want := peakHours(c); !reflect.DeepEqual(c.peakHour, want) || c.peakHour[0] != 3 {
		t.Errorf("Remove: got %v, want %v, rack K1's at 3", c.peakHour, want)
	}
}
