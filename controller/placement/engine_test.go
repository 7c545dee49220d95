package placement

import (
	"errors"
	"maps"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// peakRacks holds K1 (6.5 kW placed, its hourly peak of 6 kW at noon) and
// K2 (6 kW placed, its peak of 6 kW at midnight), 2 kW every other hour.
// Each has one server of 15,000 millicores using as many as the rack's
// placed watts, so that a replica of as many millicores as watts keeps both
// racks' power and CPU in step: balance scores them alike.
func peakRacks() *Cluster {
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 6500, 6000
	for i := range c.Servers {
		c.Servers[i].CPUMillicores = 15000
		c.Servers[i].UsedCPUMillicores = int64(c.Racks[i].PlacedWatts)
	}
	for h := range 24 {
		c.Racks[0].ProfileWatts[h], c.Racks[1].ProfileWatts[h] = 2000, 2000
	}
	c.Racks[0].ProfileWatts[12], c.Racks[1].ProfileWatts[0] = 6000, 6000
	return c
}

// noonProfile peaks at noon, 0.2 the rest of the day.
func noonProfile() []float64 {
	f := make([]float64, 24)
	for h := range f {
		f[h] = 0.2
	}
	f[12] = 1
	return f
}

func TestScores(t *testing.T) {
	cases := []struct {
		name     string
		strategy string
		profile  []float64
		want     string
	}{
		{"binpack: the fuller rack", "", nil, "K1"},
		{"binpack by name", StrategyBinpack, nil, "K1"},
		{"spread: the emptier rack", StrategySpread, nil, "K2"},
		// K1: (max(6000+1000, 2000+200) − 6000)/1000 = 1, score 0;
		// K2: (max(6000+200, 2000+1000) − 6000)/1000 = 0.2, score 0.8.
		// 0.5 × 0.8 outweighs K1's binpack lead of 500/15000.
		{"peak decorrelation beats a small binpack lead", "", noonProfile(), "K2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req(1000) // 1000 millicores
			r.Strategy, r.Profile = tc.strategy, tc.profile
			d, inf := place(t, peakRacks(), r)
			if inf != nil || d.Assignments[0].Rack != tc.want {
				t.Fatalf("got %v %v, want %s", racksOf(d), inf, tc.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	r := req(1000)
	r.Profile = noonProfile()
	d, err := New().Place(peakRacks(), r, Options{Explain: true, TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	// binpack = 1 − (15000 − placed − 1000)/15000; both racks in step
	// (balance 1), their servers without GPUs (gpus 1).
	want := []Candidate{
		{Rack: "K2", Server: "K2-s1", Score: 3 + 1 - 8000.0/15000 + 0.5*0.8 + 1,
			Scores: map[string]float64{"balance": 1, "binpack": 1 - 8000.0/15000, "peak": 0.8, "gpus": 1}},
		{Rack: "K1", Server: "K1-s1", Score: 3 + 1 - 7500.0/15000 + 1,
			Scores: map[string]float64{"balance": 1, "binpack": 1 - 7500.0/15000, "peak": 0, "gpus": 1}},
	}
	if len(d.Candidates) != len(want) {
		t.Fatalf("got %d candidates, want %d: %+v", len(d.Candidates), len(want), d.Candidates)
	}
	for i, c := range d.Candidates {
		w := want[i]
		if c.Rack != w.Rack || c.Server != w.Server || !near(c.Score, w.Score) ||
			!maps.EqualFunc(c.Scores, w.Scores, near) {
			t.Errorf("candidate %d: got %+v, want %+v", i, c, w)
		}
	}
	d, _ = New().Place(peakRacks(), r, Options{Explain: true, TopN: 1})
	if len(d.Candidates) != 1 || d.Candidates[0].Rack != "K2" {
		t.Errorf("top 1: got %+v, want K2 only", d.Candidates)
	}
	if d, _ = New().Place(peakRacks(), r, Options{}); d.Candidates != nil {
		t.Errorf("without Explain: got %+v, want no candidates", d.Candidates)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestDerivedWatts(t *testing.T) {
	// A 1 kW rack: s1 has no power model, s2 would draw 200 + 0.5 × 1800 =
	// 1100 W, s3 200 + 0.5 × 600 = 500 W.
	c := cluster(3, rack2N("K1", 0, 1000))
	c.Servers[0].MaxWatts = 0
	c.Servers[1].MaxWatts = 2000
	r := Request{Name: "batch", Replicas: 1, Utilisation: 0.5}
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s3" || d.Assignments[0].Watts != 500 {
		t.Fatalf("got %+v %v, want K1-s3 at 500 W", d.Assignments, inf)
	}
	c.Servers[2].UsedCPUMillicores = c.Servers[2].CPUMillicores
	r.CPUMillicores = 1
	_, inf = place(t, c, r)
	if inf == nil || !maps.Equal(inf.Rejected, map[string]int{"watts": 1, "rack-power": 1, "cpu": 1}) {
		t.Fatalf("got %v, want rejected by watts, rack-power and cpu", inf)
	}
	if want := "K1: the rack would draw 1.10 kW > its budget 1.00 kW (declared 0.00 kW + reserved 0.00 kW + replica 1.10 kW)"; inf.Binding != want {
		t.Errorf("binding: got %q, want %q", inf.Binding, want)
	}
}

func TestReplicasSeeEachOther(t *testing.T) {
	// Room for two replicas of 400 W in a 1 kW rack: the third fails.
	c := cluster(3, rack2N("K1", 0, 1000))
	before := c.Clone()
	before.idx, before.used, before.most, before.peakHour = nil, nil, nil, nil // Clone indexes the copy
	r := req(400)
	r.Replicas = 3
	_, inf := place(t, c, r)
	if inf == nil || inf.Placed != 2 || !maps.Equal(inf.Rejected, map[string]int{"rack-power": 3}) {
		t.Fatalf("got %v, want the 3rd rejected by rack-power", inf)
	}
	want := "placement: replica 3 does not fit (after 2 placed, none kept): " +
		"K1: the rack would draw 1.20 kW > its budget 1.00 kW (declared 0.80 kW + reserved 0.00 kW + replica 0.40 kW); rejected: rack-power=3"
	if got := inf.Error(); got != want {
		t.Errorf("Error:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(c, before) {
		t.Errorf("Place modified the cluster")
	}
}

func TestDeterministic(t *testing.T) {
	r := req(100)
	r.Replicas, r.Spread, r.Profile = 5, DomainRack, noonProfile()
	c := spreadCluster()
	c.Racks[1].PlacedWatts = 3000 // binpack prefers K2, then ties by ID
	for i := 3; i < 6; i++ {      // K2's servers use a fifth of their CPU, as of its budget: in step
		c.Servers[i].UsedCPUMillicores = 12800
	}
	first, err := New().Place(c, r, Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := New().Place(c, r, Options{Explain: true})
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("the same input gave\n%+v\nthen\n%+v", first, again)
	}
	if got, want := racksOf(first), []string{"K2", "K2", "K1", "K1", "K3"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for seed := range int64(20) {
		p := permute(c, seed)
		d, err := New().Place(p, r, Options{Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, first) {
			t.Fatalf("seed %d: in another order the decision is\n%+v\nnot\n%+v", seed, d, first)
		}
	}
}

// permute returns c with its racks and servers in another order.
func permute(c *Cluster, seed int64) *Cluster {
	rng := rand.New(rand.NewSource(seed))
	p := c.Clone()
	order := rng.Perm(len(p.Racks))
	where := make([]int, len(order)) // old index → new
	racks := make([]Rack, len(order))
	for i, old := range order {
		racks[i], where[old] = p.Racks[old], i
	}
	p.Racks = racks
	rng.Shuffle(len(p.Servers), func(i, j int) { p.Servers[i], p.Servers[j] = p.Servers[j], p.Servers[i] })
	for i := range p.Servers {
		p.Servers[i].Rack = where[p.Servers[i].Rack]
	}
	p.idx = nil
	return p
}

func TestTopology(t *testing.T) {
	cases := map[string]func(*Cluster){
		"server's rack": func(c *Cluster) { c.Servers[0].Rack = 7 },
		"rack's row":    func(c *Cluster) { c.Racks[0].Row = -1 },
		"row's hall":    func(c *Cluster) { c.Rows[0].Hall = 3 },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			c := cluster(1, rack2N("K1", 0, 1000))
			edit(c)
			if _, err := New().Place(c, req(1), Options{}); !errors.Is(err, ErrTopology) {
				t.Errorf("got %v, want ErrTopology", err)
			}
		})
	}
}

func TestNoServers(t *testing.T) {
	_, inf := place(t, &Cluster{}, req(1))
	if inf == nil || len(inf.Rejected) != 0 || inf.Binding != "the cluster has no server" {
		t.Fatalf("got %v, want infeasible: no server", inf)
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		field string
		edit  func(*Request)
	}{
		{"name", func(r *Request) { r.Name = "" }},
		{"name", func(r *Request) { r.Name = strings.Repeat("x", MaxNameLen+1) }},
		{"replicas", func(r *Request) { r.Replicas = 0 }},
		{"replicas", func(r *Request) { r.Replicas = -1 }},
		{"replicas", func(r *Request) { r.Replicas = MaxReplicas + 1 }},
		{"cpu_millicores", func(r *Request) { r.CPUMillicores = -1 }},
		{"memory_mib", func(r *Request) { r.MemoryMiB = -1 }},
		{"gpus", func(r *Request) { r.GPUs = -1 }},
		{"watts", func(r *Request) { r.Watts = -1 }},
		{"watts", func(r *Request) { r.Watts = nan }},
		{"watts", func(r *Request) { r.Watts = inf }},
		{"watts", func(r *Request) { r.Watts = 0 }},
		{"utilisation", func(r *Request) { r.Utilisation = 1.1 }},
		{"utilisation", func(r *Request) { r.Utilisation = nan }},
		{"spread", func(r *Request) { r.Spread = "pdu" }},
		{"strategy", func(r *Request) { r.Strategy = "random" }},
		{"profile", func(r *Request) { r.Profile = make([]float64, 23) }},
		{"profile", func(r *Request) { r.Profile = make([]float64, 24) }},
		{"profile", func(r *Request) { r.Profile = noonProfile(); r.Profile[3] = 1.5 }},
		{"profile", func(r *Request) { r.Profile = noonProfile(); r.Profile[3] = nan }},
		{"hall", func(r *Request) { r.Hall = strings.Repeat("h", MaxNameLen+1) }},
		{"row", func(r *Request) { r.Row = strings.Repeat("r", MaxNameLen+1) }},
		{"labels", func(r *Request) { r.Labels = map[string]string{"": "x"} }},
		{"labels", func(r *Request) {
			r.Labels = map[string]string{}
			for i := range MaxLabels + 1 {
				r.Labels[strings.Repeat("k", i+1)] = "v"
			}
		}},
	}
	for _, tc := range cases {
		r := req(100)
		tc.edit(&r)
		var fe *FieldError
		if err := r.Validate(); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: got %v, want a *FieldError on %s", r, err, tc.field)
		}
		if _, err := New().Place(&Cluster{}, r, Options{}); !errors.As(err, &fe) {
			t.Errorf("Place: got %v, want the *FieldError", err)
		}
	}
	ok := req(100)
	ok.Profile, ok.Spread, ok.Strategy, ok.Utilisation, ok.Replicas = noonProfile(), DomainFeed, StrategySpread, 1, MaxReplicas
	if err := ok.Validate(); err != nil {
		t.Errorf("a valid request: got %v", err)
	}
	if err := (Request{Name: "x", Replicas: 1, Utilisation: 0.3}).Validate(); err != nil {
		t.Errorf("derived watts: got %v", err)
	}
}

func TestConcurrentPlace(t *testing.T) {
	// One engine and one cluster, shared by goroutines: Place only reads.
	c := spreadCluster()
	e := New()
	r := req(100)
	r.Replicas, r.Spread = 3, DomainRack
	want, err := e.Place(c, r, Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			d, err := e.Place(c, r, Options{Explain: true})
			if err == nil && !reflect.DeepEqual(d, want) {
				err = errors.New("another decision")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestTieOnPerfectScore(t *testing.T) {
	// K2 is listed first and both racks score the same, the peak scorer
	// its maximum 1: the replica's noon peak lands where both racks are
	// low, and it draws nothing at midnight, their peak. The tie goes to
	// K1, which the search must not skip as unable to beat K2.
	c := cluster(1, rack2N("K2", 0, 15000), rack2N("K1", 0, 15000))
	for k := range c.Racks {
		c.Racks[k].PlacedWatts = 6000
		for h := range 24 {
			c.Racks[k].ProfileWatts[h] = 2000
		}
		c.Racks[k].ProfileWatts[0] = 6000
	}
	r := req(1000)
	r.Profile = noonProfile()
	r.Profile[0] = 0
	d, err := New().Place(c, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Assignments[0].Rack; got != "K1" {
		t.Errorf("got %s, want K1", got)
	}
	d, _ = New().Place(c, r, Options{Explain: true}) // searches every rack
	if got := d.Candidates[0].Scores["peak"]; got != 1 {
		t.Errorf("peak score: got %v, want 1", got)
	}
}
