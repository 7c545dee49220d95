package controller_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// clusterTimeout bounds every wait of the cluster tests.
const clusterTimeout = 20 * time.Second

// member is one node of an in-process cluster, with its API served on a
// real loopback socket.
type member struct {
	id, url, raftAddr, dir string
	n                      *serve.Node
	srv                    *httptest.Server
	c                      *api.Client
}

// startMember opens a node on dir with its API on a fresh loopback port;
// join is the API URL to join through ("" bootstraps). raftAddr "" picks a
// port.
func startMember(t *testing.T, id, dir, raftAddr, join string) *member {
	t.Helper()
	if raftAddr == "" {
		raftAddr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	n, err := serve.Open(context.Background(), controller.Config{NoAuth: true, NodeID: id, DataDir: dir, RaftAddr: raftAddr,
		Bootstrap: join == "", Join: join, APIURL: url, StaleAfter: staleAfter, DeclaredOnly: true,
		// Short enough for quick elections, long enough that a loaded
		// machine (race detector, shared cores) does not depose leaders.
		HeartbeatTimeout: 600 * time.Millisecond, ElectionTimeout: 600 * time.Millisecond,
		LeaderLeaseTimeout: 300 * time.Millisecond, CommitTimeout: 5 * time.Millisecond})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: n.Handler()}}
	srv.Start()
	c, err := api.NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &member{id: id, url: url, raftAddr: n.RaftAddr(), dir: dir, n: n, srv: srv, c: c}
	t.Cleanup(m.stop)
	return m
}

// stop closes the member's API and node; it may be called again.
func (m *member) stop() {
	if m.srv == nil {
		return
	}
	m.srv.Close()
	m.c.CloseIdleConnections()
	m.n.Close() //nolint:errcheck // a second Close returns the first's result
	m.srv = nil
}

// startCluster starts a 3-node cluster: n1 bootstraps, n2 and n3 join
// through n1 and n2. It returns once every node is ready and knows every
// member's API.
func startCluster(t *testing.T) []*member {
	t.Helper()
	n1 := startMember(t, "n1", t.TempDir(), "", "")
	n2 := startMember(t, "n2", t.TempDir(), "", n1.url)
	ms := []*member{n1, n2}
	waitUntil(t, "n2 to join", func() bool { return len(status(t, n1).Members) == 2 })
	ms = append(ms, startMember(t, "n3", t.TempDir(), "", n2.url))
	for _, m := range ms {
		waitUntil(t, m.id+" to be ready and know every API", func() bool {
			st := status(t, m)
			if st.Ready != "ok" || len(st.Members) != 3 {
				return false
			}
			for _, mem := range st.Members {
				if mem.API == "" {
					return false
				}
			}
			return true
		})
	}
	return ms
}

func status(t *testing.T, m *member) *api.ClusterStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	st, err := m.c.Cluster(ctx)
	if err != nil {
		t.Fatalf("%s: GET /v1/cluster: %v", m.id, err)
	}
	return st
}

// waitUntil polls cond until it holds, failing after clusterTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(clusterTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: nothing after %v", what, clusterTimeout)
		}
		<-tick.C
	}
}

// get sends a GET and returns the answer, its body read.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b [1 << 16]byte
	n, _ := res.Body.Read(b[:])
	return res, b[:n]
}

// sameState waits until every member serves the same state hash at the same
// index, and returns it.
func sameState(t *testing.T, ms []*member) string {
	t.Helper()
	var hash string
	waitUntil(t, "every node to hold the same state", func() bool {
		first := status(t, ms[0])
		for _, m := range ms[1:] {
			st := status(t, m)
			if st.StateIndex != first.StateIndex || st.StateHash != first.StateHash {
				return false
			}
		}
		hash = first.StateHash
		return true
	})
	return hash
}

func TestClusterServesFromAnyNode(t *testing.T) {
	ms := startCluster(t)
	n1, n2, n3 := ms[0], ms[1], ms[2]
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if st := status(t, n2); st.Leader != "n1" || st.LeaderAPI != n1.url || st.State != "Follower" {
		t.Fatalf("n2's status: got leader %s at %s, state %s, want n1 at %s, Follower", st.Leader, st.LeaderAPI, st.State, n1.url)
	}
	// Every member announced the codec it reads (n1 when it led, n2 and n3
	// when they joined), so the leader writes CBOR bodies.
	waitUntil(t, "every member to announce CBOR, and n1 to write it", func() bool {
		for _, m := range ms {
			if n1.n.NodeReads(m.id) != state.CodecCBOR {
				return false
			}
		}
		return n1.n.LogCodec() == state.CodecCBOR
	})

	// Writes sent to followers are forwarded to the leader.
	res, err := n2.c.PutInventory(ctx, siteYAML(t, inventory.Reference(4)))
	if err != nil {
		t.Fatalf("PUT /v1/inventory on a follower: got %v, want it forwarded", err)
	}
	p, err := n3.c.Place(ctx, &api.PlacementRequest{Name: "mail", Replicas: 2, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 700},
		api.PlaceOptions{Key: "mail-1"})
	if err != nil || len(p.Replicas) != 2 {
		t.Fatalf("POST /v1/placements on a follower: got %+v, %v, want 2 replicas placed", p, err)
	}
	// The follower itself forwards: a bare HTTP client, which follows no
	// not-leader answer, gets the leader's answer.
	body := strings.NewReader(`{"name":"web","replicas":1,"cpu_millicores":500,"memory_mib":512,"watts":300}`)
	raw, err := http.Post(n2.url+"/v1/placements", api.MediaJSON, body)
	if err != nil {
		t.Fatal(err)
	}
	raw.Body.Close()
	if raw.StatusCode != http.StatusCreated || raw.Header.Get(api.HeaderNode) != "n1" {
		t.Errorf("bare POST /v1/placements to n2: got %d from %q, want 201 from n1", raw.StatusCode, raw.Header.Get(api.HeaderNode))
	}
	batch, err := api.EncodeBatch(&api.Batch{Agent: "a0", Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, n3.url+"/v1/telemetry", bytes.NewReader(batch))
	req.Header.Set("Content-Type", api.MediaCBOR)
	req.Header.Set("Content-Encoding", "gzip")
	if raw, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	raw.Body.Close()
	if raw.StatusCode != http.StatusAccepted || raw.Header.Get(api.HeaderNode) != "n1" {
		t.Errorf("bare POST /v1/telemetry to n3: got %d from %q, want 202 from n1", raw.StatusCode, raw.Header.Get(api.HeaderNode))
	}
	// So is telemetry, and the reads that need it.
	poll := collectors.Status{Device: "H1-R01-K01-PA", At: time.Now(), OK: true,
		Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 4000}}}
	if ir, err := n3.c.Push(ctx, &api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{poll}}); err != nil || ir.Accepted != 1 {
		t.Fatalf("push to a follower: got %+v, %v, want 1 accepted", ir, err)
	}
	k, err := n2.c.Rack(ctx, "H1-R01-K01")
	if err != nil || k.PDUs[0].PowerWatts == nil || *k.PDUs[0].PowerWatts != 4000 {
		t.Fatalf("GET /v1/racks/H1-R01-K01 on a follower: got %+v, %v, want the leader's 4000 W", k, err)
	}

	// Reads of the replicated state are served locally, with staleness.
	waitUntil(t, "n3 to apply the placement", func() bool {
		r, _ := get(t, n3.url+"/v1/placements/"+p.ID)
		return r.StatusCode == http.StatusOK
	})
	r, _ := get(t, n3.url+"/v1/inventory")
	idx, _ := strconv.ParseUint(r.Header.Get(api.HeaderIndex), 10, 64)
	stale, serr := strconv.ParseFloat(r.Header.Get(api.HeaderStale), 64)
	if r.StatusCode != http.StatusOK || r.Header.Get(api.HeaderNode) != "n3" || idx < res.Index || serr != nil || stale < 0 || stale > 5 {
		t.Errorf("GET /v1/inventory on n3: got %d from %q at index %d, stale %q, want 200 from n3 at %d or later, stale a few seconds at most",
			r.StatusCode, r.Header.Get(api.HeaderNode), idx, r.Header.Get(api.HeaderStale), res.Index)
	}
	// A consistent read goes through the leader.
	r, _ = get(t, n3.url+"/v1/placements?consistent=true")
	if r.StatusCode != http.StatusOK || r.Header.Get(api.HeaderNode) != "n1" || r.Header.Get(api.HeaderStale) != "0" {
		t.Errorf("consistent read on n3: got %d from %q, stale %q, want 200 from n1, stale 0",
			r.StatusCode, r.Header.Get(api.HeaderNode), r.Header.Get(api.HeaderStale))
	}

	// Joining twice is harmless.
	if err := n3.c.Join(ctx, api.JoinRequest{ID: "n2", RaftAddr: n2.raftAddr, API: n2.url}); err != nil {
		t.Errorf("joining n2 again: got %v, want nil", err)
	}
	if got := len(status(t, n1).Members); got != 3 {
		t.Errorf("members after joining again: got %d, want 3", got)
	}
	sameState(t, ms)
}

func TestClusterRemoveAndTransfer(t *testing.T) {
	ms := startCluster(t)
	n1, n2, n3 := ms[0], ms[1], ms[2]
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := n2.c.RemoveNode(ctx, "n3"); err != nil {
		t.Fatalf("remove n3 through n2: got %v, want nil", err)
	}
	n3.stop()
	if st := status(t, n1); len(st.Members) != 2 {
		t.Fatalf("members: got %+v, want n1 and n2", st.Members)
	}
	if _, err := n2.c.PutInventory(ctx, siteYAML(t, inventory.Reference(2))); err != nil {
		t.Fatalf("a write after the removal: got %v, want it committed", err)
	}
	if err := n2.c.TransferLeadership(ctx); err != nil {
		t.Fatalf("transfer leadership: got %v, want nil", err)
	}
	waitUntil(t, "n2 to lead and be ready", func() bool { st := status(t, n2); return st.State == "Leader" && st.Ready == "ok" })
	if _, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(3))); err != nil {
		t.Fatalf("a write through the old leader: got %v, want it forwarded to n2", err)
	}
	sameState(t, ms[:2])
}

// TestRestartedNodeCatchesUp stops a follower, writes, and starts it again:
// until it has replayed what it missed it answers 503 catching-up, never
// its old state.
func TestRestartedNodeCatchesUp(t *testing.T) {
	ms := startCluster(t)
	n1, n3 := ms[0], ms[2]
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if _, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(2))); err != nil {
		t.Fatal(err)
	}
	sameState(t, ms)
	n3.stop()
	var last uint64
	for i := 3; i <= 6; i++ {
		res, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(i)))
		if err != nil {
			t.Fatal(err)
		}
		last = res.Index
	}
	m := startMember(t, "n3", n3.dir, n3.raftAddr, n1.url)
	ms[2] = m
	waitUntil(t, "the restarted node to serve", func() bool {
		r, body := get(t, m.url+"/v1/inventory")
		switch {
		case r.StatusCode == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "" &&
			strings.Contains(string(body), api.ProblemCatchingUp):
			return false
		case r.StatusCode != http.StatusOK:
			t.Fatalf("got %d %s, want 503 catching-up or 200", r.StatusCode, body)
		}
		if idx, _ := strconv.ParseUint(r.Header.Get(api.HeaderIndex), 10, 64); idx < last {
			t.Fatalf("got the state at index %d, want %d or later: old state served as current", idx, last)
		}
		return true
	})
	sameState(t, ms)
}

// TestClusterSnapshot saves the state through a follower, changes it, and
// restores it through the other: every node ends with the same state.
func TestClusterSnapshot(t *testing.T) {
	ms := startCluster(t)
	n2, n3 := ms[1], ms[2]
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if _, err := n2.c.PutInventory(ctx, siteYAML(t, inventory.Reference(2))); err != nil {
		t.Fatal(err)
	}
	snap, err := n2.c.Snapshot(ctx)
	if err != nil || len(snap) == 0 {
		t.Fatalf("snapshot save: got %d bytes, %v, want the state", len(snap), err)
	}
	if _, err := n2.c.PutInventory(ctx, siteYAML(t, inventory.Reference(5))); err != nil {
		t.Fatal(err)
	}
	if err := n3.c.RestoreSnapshot(ctx, snap); err != nil {
		t.Fatalf("snapshot restore: got %v, want nil", err)
	}
	sameState(t, ms)
	for _, m := range ms {
		s, err := m.c.Site(ctx)
		if err != nil || s.Count().Racks != 2 {
			t.Errorf("%s after the restore: got %v, %v, want the saved 2-rack site", m.id, s, err)
		}
	}
	if _, err := n3.c.PutInventory(ctx, siteYAML(t, inventory.Reference(3))); err != nil {
		t.Fatalf("a write after the restore: got %v, want nil", err)
	}
	sameState(t, ms)
}
