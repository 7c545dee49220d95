package placement

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite testdata/replay-decisions.txt from the engine as it is")

// siteCluster is the engine's cluster of the bundled reference site (460
// racks, about 18,000 servers from the SPECpower catalogue), built as the
// state machine builds it, with no usage.
func siteCluster(t testing.TB) *Cluster {
	t.Helper()
	site := inventory.Reference(inventory.ReferenceRacks)
	c := &Cluster{}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		hall := Hall{ID: h.ID, BudgetWatts: h.BudgetKW * 1000}
		for ri := range h.Rows {
			r := &h.Rows[ri]
			row := Row{ID: r.ID, Hall: hi}
			for ui := range r.Cooling {
				row.CoolingWatts = append(row.CoolingWatts, r.Cooling[ui].CapacityWatts())
			}
			c.Rows = append(c.Rows, row)
			for ki := range r.Racks {
				k := &r.Racks[ki]
				if h.BudgetKW == 0 {
					hall.BudgetWatts += k.BudgetWatts()
				}
				rack := Rack{ID: k.ID, Row: len(c.Rows) - 1, BudgetWatts: k.BudgetWatts(), Feeds: k.Feeds, Labels: k.Labels}
				for _, p := range k.PDUs {
					rack.PDUs = append(rack.PDUs, PDU{ID: p.ID, Feed: p.Feed, Phases: p.Phases, VoltageV: p.VoltageV, BreakerA: p.BreakerA})
				}
				c.Racks = append(c.Racks, rack)
				for si := range k.Servers {
					s := &k.Servers[si]
					c.Servers = append(c.Servers, Server{ID: s.ID, Rack: len(c.Racks) - 1, PSUFeeds: s.PSUFeeds,
						CPUMillicores: s.CPUMillicores, MemoryMiB: s.MemoryMiB, GPUs: s.GPUs, IdleWatts: s.IdleW, MaxWatts: s.MaxW})
				}
			}
		}
		c.Halls = append(c.Halls, hall)
	}
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	return c
}

// cityShapes are the shapes of deploy/workloads/city.yaml (one replica
// each; the replay sets the replicas), with their spread, feeds and daily
// profiles.
func cityShapes() []Request {
	day := []float64{0.25, 0.2, 0.2, 0.2, 0.2, 0.25, 0.35, 0.55, 0.8, 0.95, 1, 1, 1, 1, 1, 1, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3}
	weekday := []float64{0.15, 0.15, 0.15, 0.15, 0.15, 0.2, 0.4, 0.8, 1, 1, 1, 1, 0.95, 1, 1, 1, 0.95, 0.85, 0.6, 0.35, 0.25, 0.2, 0.15, 0.15}
	school := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.9, 1, 1, 1, 0.9, 0.7, 0.5, 0.45, 0.5, 0.6, 0.7, 0.75, 0.7, 0.55, 0.35, 0.2, 0.12}
	office := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 1, 1, 1, 1, 0.85, 1, 1, 1, 0.9, 0.6, 0.3, 0.2, 0.15, 0.1, 0.1, 0.1}
	mail := []float64{0.3, 0.25, 0.25, 0.25, 0.25, 0.3, 0.45, 0.75, 1, 1, 1, 0.95, 0.9, 0.95, 1, 1, 0.95, 0.8, 0.65, 0.55, 0.5, 0.45, 0.4, 0.35}
	shape := func(name string, cpu, mem int64, watts float64, spread Domain, both bool, profile []float64) Request {
		return Request{Name: name, Replicas: 1, CPUMillicores: cpu, MemoryMiB: mem, Watts: watts, Spread: spread,
			BothFeeds: both, Profile: profile}
	}
	return []Request{
		shape("portal-web", 2000, 4096, 180, DomainRack, true, day),
		shape("portal-services", 4000, 8192, 260, DomainRack, true, day),
		shape("portal-db", 32000, 262144, 650, DomainRow, true, day),
		shape("medical-app", 4000, 16384, 300, DomainRack, true, weekday),
		shape("medical-db", 48000, 524288, 750, DomainHall, true, weekday),
		shape("medical-pacs", 8000, 65536, 520, DomainRack, true, weekday),
		shape("eschool-web", 2000, 4096, 220, DomainRack, true, school),
		shape("eschool-db", 16000, 131072, 600, DomainRow, true, school),
		shape("dms-app", 4000, 16384, 280, DomainRack, true, office),
		shape("dms-search", 16000, 65536, 450, DomainRack, true, office),
		shape("dms-db", 32000, 262144, 700, DomainRow, true, office),
		shape("video-ingest", 8000, 16384, 420, DomainRack, false, nil),
		shape("video-storage", 4000, 32768, 560, DomainRack, false, nil),
		shape("mail-mx", 2000, 4096, 160, DomainRow, true, mail),
		shape("mail-store", 4000, 32768, 380, DomainRack, true, mail),
	}
}

// halfFull fills c with the city's shapes, requests of 1 to 8 replicas in a
// fixed order, until about half of the site's rack budgets are declared.
func halfFull(t testing.TB, e *Engine, c *Cluster) {
	t.Helper()
	var budget, placed float64
	for k := range c.Racks {
		budget += c.Racks[k].BudgetWatts
	}
	shapes := cityShapes()
	for i := 0; placed < budget/2 && i < 20000; i++ {
		r := shapes[i%len(shapes)]
		r.Name, r.Replicas = fmt.Sprintf("%s-%d", r.Name, i), 1+i%8
		d, err := e.Place(c, r, Options{})
		if err != nil {
			continue
		}
		if err := c.Apply(d.Assignments, r); err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Assignments {
			placed += a.Watts
		}
	}
}

// describe is one line of a decision: where each replica went, or why
// none did, and with explanations the candidates.
func describe(d Decision, err error) string {
	var b strings.Builder
	var inf *Infeasible
	switch {
	case errors.As(err, &inf):
		return "refused: " + inf.Error()
	case err != nil:
		return "error: " + err.Error()
	}
	for _, a := range d.Assignments {
		fmt.Fprintf(&b, " %s@%s/%gW", a.Server, a.Rack, a.Watts)
	}
	for _, c := range d.Candidates {
		fmt.Fprintf(&b, " [%s %s %.12g]", c.Rack, c.Server, c.Score)
	}
	return strings.TrimSpace(b.String())
}

// TestReplayReferenceSite replays a fixed random sequence of the city's
// requests (1 to 8 replicas, some explained), applies and removals on the
// half-full reference site, and checks every decision against the search
// that skips nothing (exhaustive) and against the decisions the engine made
// before the per-rack maxima and the sparse overlay (testdata): the
// shortcuts must change no decision, no candidate and no refusal.
func TestReplayReferenceSite(t *testing.T) {
	steps := 400
	if testing.Short() {
		steps = 120
	}
	e, full := New(), New()
	full.exhaustive = true
	c := siteCluster(t)
	halfFull(t, e, c)
	rng := rand.New(rand.NewSource(12))
	shapes := cityShapes()
	type live struct {
		r  Request
		as []Assignment
	}
	var held []live
	var got []string
	for i := range steps {
		if len(held) > 0 && rng.Intn(4) == 0 {
			j := rng.Intn(len(held))
			c.Remove(held[j].as, held[j].r)
			held = append(held[:j], held[j+1:]...)
			got = append(got, fmt.Sprintf("%d remove", i))
			continue
		}
		r := shapes[rng.Intn(len(shapes))]
		switch rng.Intn(8) {
		case 0: // GPUs, which only the GPU racks have
			r = Request{Name: "train", CPUMillicores: 8000, MemoryMiB: 65536, GPUs: 1 + rng.Intn(4), Watts: 900, BothFeeds: true}
		case 1: // watts from each server's power model
			r.Watts, r.Utilisation = 0, 0.3+0.5*rng.Float64()
		}
		r.Name, r.Replicas = fmt.Sprintf("%s-r%d", r.Name, i), 1+rng.Intn(8)
		if r.GPUs > 0 {
			r.Replicas = 1 + r.Replicas%2 // the site has few GPU servers
		}
		opt := Options{Explain: rng.Intn(5) == 0, TopN: 3}
		d, err := e.Place(c, r, opt)
		line := describe(d, err)
		if want := describe(full.Place(c, r, opt)); line != want {
			t.Fatalf("step %d, %s × %d: got %s, want (exhaustive) %s", i, r.Name, r.Replicas, line, want)
		}
		if err == nil {
			if err := Check(c, d.Assignments, r); err != nil {
				t.Fatalf("step %d: Check of the decision on its own view: %v", i, err)
			}
			if err := c.Apply(d.Assignments, r); err != nil {
				t.Fatal(err)
			}
			held = append(held, live{r, d.Assignments})
		}
		got = append(got, fmt.Sprintf("%d %s×%d: %s", i, r.Name, r.Replicas, line))
		if i%50 == 49 {
			c = c.Clone() // the maxima and sums travel with the copy
		}
	}
	compareGolden(t, filepath.Join("testdata", "replay-decisions.txt"), got, steps)
}

// compareGolden compares got with the first n lines of the golden file,
// or rewrites the file with -update.
func compareGolden(t *testing.T, path string, got []string, n int) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the recorded decisions: %v (run with -update to record them)", err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(want) < n {
		t.Fatalf("got %d recorded decisions, want at least %d", len(want), n)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("decision %d: got %s, want %s", i, got[i], want[i])
		}
	}
	if len(got) != n {
		t.Fatalf("got %d decisions, want %d", len(got), n)
	}
}

// BenchmarkPlaceCity measures one decision of each city shape (one
// replica) on the half-full reference site, the engine alone.
func BenchmarkPlaceCity(b *testing.B) {
	e := New()
	c := siteCluster(b)
	halfFull(b, e, c)
	for _, r := range cityShapes() {
		b.Run(r.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Place(c, r, Options{}); err != nil {
					var inf *Infeasible
					if !errors.As(err, &inf) {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
