package placement

import (
	"reflect"
	"testing"
)

func TestTypicalIsTheMedianByWatts(t *testing.T) {
	small := shape{watts: 50, cpu: 1000}
	mid := shape{watts: 200, cpu: 12000, gpus: 650}
	midMoreCPU := shape{watts: 200, cpu: 16000, gpus: 650}
	big := shape{watts: 300, cpu: 11000, gpus: 1000}
	type step struct {
		sh shape
		n  int
	}
	cases := []struct {
		name  string
		steps []step
		want  shape
		total int
	}{
		{"nothing placed: zero", nil, shape{}, 0},
		{"one shape", []step{{mid, 1}}, mid, 1},
		{"counts weigh: 3 small, 1 big", []step{{big, 1}, {small, 3}}, small, 4},
		{"counts add up one by one", []step{{small, 1}, {small, 1}, {small, 1}, {big, 1}}, small, 4},
		{"the lower middle of an even count", []step{{small, 2}, {big, 2}}, small, 4},
		{"ordered by watts, not by arrival", []step{{big, 2}, {mid, 1}, {small, 2}}, mid, 5},
		{"equal watts: then CPU", []step{{midMoreCPU, 1}, {mid, 1}, {big, 1}}, midMoreCPU, 3},
		{"removed replicas no longer count", []step{{small, 3}, {big, 2}, {small, -2}}, big, 3},
		{"never below zero", []step{{small, 1}, {small, -5}, {big, 1}}, big, 1},
		{"removing what was never placed changes nothing", []step{{mid, 1}, {big, -1}}, mid, 1},
		{"all removed: zero again", []step{{mid, 2}, {mid, -2}}, shape{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w workloads
			for _, s := range tc.steps {
				w.add(s.sh, s.n)
			}
			if w.typical != tc.want || w.total != tc.total {
				t.Errorf("got %+v of %d, want %+v of %d", w.typical, w.total, tc.want, tc.total)
			}
			if tc.total == 0 && w.shapes != nil {
				t.Errorf("got shapes %v, want nil", w.shapes)
			}
		})
	}
}

func TestApplyAndRemoveKeepTheTypical(t *testing.T) {
	c := cluster(2, rack2N("K1", 0, 15000))
	gpu := Request{Name: "train", Replicas: 2, CPUMillicores: 4000, MemoryMiB: 1024, GPUs: 500, Watts: 300}
	cpu := req(100)
	as := func(r Request) []Assignment {
		out := make([]Assignment, r.Replicas)
		for i := range out {
			out[i] = Assignment{Replica: i, Server: "K1-s1", Rack: "K1", Row: "R1", Hall: "H1", Watts: r.Watts}
		}
		return out
	}
	if err := c.Apply(as(gpu), gpu); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(as(cpu), cpu); err != nil {
		t.Fatal(err)
	}
	want := shape{watts: 300, cpu: 4000, mem: 1024, gpus: 500} // 100 W, 300 W, 300 W
	if got := c.placed.typical; got != want {
		t.Fatalf("after Apply: got %+v, want %+v", got, want)
	}
	cp := c.Clone()
	c.Remove(as(gpu), gpu)
	if got, want := c.placed.typical, (shape{watts: 100, cpu: 1000, mem: 1024}); got != want {
		t.Errorf("after Remove: got %+v, want %+v", got, want)
	}
	if got := cp.placed.typical; got != want {
		t.Errorf("the clone: got %+v, want %+v (Remove on the original must not change it)", got, want)
	}
	wantShapes := []shapeCount{{shape{watts: 100, cpu: 1000, mem: 1024}, 1}, {want, 2}}
	if got := cp.placed.shapes; !reflect.DeepEqual(got, wantShapes) {
		t.Errorf("the clone's counts: got %+v, want %+v", got, wantShapes)
	}
}
