package placement

import (
	"errors"
	"reflect"
	"testing"
)

func TestApplyRemove(t *testing.T) {
	c := cluster(2, rack2N("K1", 0, 10000), rack2N("K2", 0, 10000))
	c.Racks[0].PDUs[0].PhasePeakWatts = []float64{1, 2, 3}
	if err := c.Index(); err != nil { // the clone shares it
		t.Fatal(err)
	}
	before := c.Clone()
	r := req(400)
	r.Replicas, r.GPUs, r.Profile = 2, 0, noonProfile()
	as := []Assignment{at(0, "K1", "s1", 400), at(1, "K2", "s2", 500)}
	if err := c.Apply(as, r); err != nil {
		t.Fatal(err)
	}
	if got := c.Servers[0].UsedCPUMillicores; got != 1000 {
		t.Errorf("K1-s1 CPU: got %d, want 1000", got)
	}
	if got := c.Servers[3].UsedMemoryMiB; got != 1024 {
		t.Errorf("K2-s2 memory: got %d, want 1024", got)
	}
	if got := c.Racks[1].PlacedWatts; got != 500 {
		t.Errorf("K2 placed: got %v, want 500", got)
	}
	if got := c.Racks[0].ProfileWatts; got[12] != 400 || got[0] != 80 {
		t.Errorf("K1 profile: got noon %v, midnight %v, want 400 and 80", got[12], got[0])
	}
	c.Remove(as, r)
	if !reflect.DeepEqual(c, before) {
		t.Errorf("Remove after Apply: got\n%+v\nwant\n%+v", c, before)
	}
	c.Remove(as, r) // never below zero
	if c.Racks[0].PlacedWatts != 0 || c.Servers[0].UsedCPUMillicores != 0 || c.Racks[0].ProfileWatts[12] != 0 {
		t.Errorf("Remove twice: got %v W, %d millicores, want 0", c.Racks[0].PlacedWatts, c.Servers[0].UsedCPUMillicores)
	}
}

func TestUsageSums(t *testing.T) {
	c := cluster(2, rack2N("K1", 0, 10000), rack2N("K2", 0, 10000))
	for i := range c.Servers {
		c.Servers[i].GPUs = 2
	}
	c.Servers[0].UsedCPUMillicores = 500
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	if want := []usage{{cpu: 500}, {}}; !reflect.DeepEqual(c.used, want) {
		t.Fatalf("Index: got %+v, want %+v", c.used, want)
	}
	n := c.Clone()
	r := req(400)
	r.Replicas, r.GPUs = 2, 1
	as := []Assignment{at(0, "K1", "s1", 400), at(1, "K2", "s2", 400)}
	if err := c.Apply(as, r); err != nil {
		t.Fatal(err)
	}
	if want := []usage{{cpu: 1500, mem: 1024, gpus: 1}, {cpu: 1000, mem: 1024, gpus: 1}}; !reflect.DeepEqual(c.used, want) {
		t.Errorf("Apply: got %+v, want %+v", c.used, want)
	}
	if want := []usage{{cpu: 500}, {}}; !reflect.DeepEqual(n.used, want) {
		t.Errorf("the clone: got %+v, want %+v", n.used, want)
	}
	c.Remove(as, r)
	c.Remove(as, r) // the servers' usage stops at zero, and the sums with it
	if want := sumUsage(c); !reflect.DeepEqual(c.used, want) || c.used[0].cpu != 0 {
		t.Errorf("Remove twice: got %+v, want %+v, all zero", c.used, want)
	}
}

func TestApplyUnknownServer(t *testing.T) {
	c := cluster(1, rack2N("K1", 0, 10000))
	before := c.Clone()
	before.idx, before.used, before.most, before.peakHour = nil, nil, nil, nil // Clone indexes the copy
	as := []Assignment{at(0, "K1", "s1", 400), at(1, "K1", "s9", 400)}
	if err := c.Apply(as, req(400)); !errors.Is(err, ErrUnknownServer) {
		t.Fatalf("got %v, want ErrUnknownServer", err)
	}
	if !reflect.DeepEqual(c, before) {
		t.Errorf("a failed Apply changed the cluster")
	}
}

func TestCloneIsDeep(t *testing.T) {
	c := cluster(1, rack2N("K1", 0, 10000))
	c.Racks[0].Labels = map[string]string{"tier": "gpu"}
	c.Racks[0].PDUs[0].PhasePeakWatts = []float64{1, 2, 3}
	n := c.Clone()
	n.Rows[0].CoolingWatts[0] = 0
	n.Racks[0].Labels["tier"] = "cpu"
	n.Racks[0].Feeds[0] = "X"
	n.Racks[0].PDUs[0].PhasePeakWatts[0] = 9
	n.Racks[0].PDUs[1].BreakerA = 1
	n.Servers[0].PSUFeeds[0] = "X"
	n.Halls[0].BudgetWatts = 1
	if c.Rows[0].CoolingWatts[0] != 1e6 || c.Racks[0].Labels["tier"] != "gpu" || c.Racks[0].Feeds[0] != "A" ||
		c.Racks[0].PDUs[0].PhasePeakWatts[0] != 1 || c.Racks[0].PDUs[1].BreakerA != 63 ||
		c.Servers[0].PSUFeeds[0] != "A" || c.Halls[0].BudgetWatts != 0 {
		t.Errorf("changing the clone changed the original: %+v", c)
	}
	n.Racks[0].PDUs = append(n.Racks[0].PDUs, PDU{})
	if len(c.Racks[0].PDUs) != 2 {
		t.Errorf("appending to the clone's PDUs reached the original")
	}
}

func TestIndex(t *testing.T) {
	c := cluster(2, rack2N("K1", 0, 10000), rack2N("K2", 0, 10000))
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	if got := c.idx.byRack; !reflect.DeepEqual(got, [][]int32{{0, 1}, {2, 3}}) {
		t.Errorf("byRack: got %v, want [[0 1] [2 3]]", got)
	}
	// A server moved after indexing is skipped, never placed in its old
	// rack's name.
	c.Servers[0].Rack, c.Servers[1].Rack = 1, 1
	d, inf := place(t, c, req(100))
	if inf != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("got %+v %v, want K2", d.Assignments, inf)
	}
	c.Servers[0].Rack = 5
	if err := c.Index(); !errors.Is(err, ErrTopology) {
		t.Errorf("Index of a broken topology: got %v, want ErrTopology", err)
	}
}
