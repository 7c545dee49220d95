//go:build faults

package faults

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Raft timing of the clusters under test: short, so that a failover takes
// about a second, yet long enough that a loaded 2-core machine does not
// depose healthy leaders all the time.
const (
	heartbeat = 400 * time.Millisecond
	election  = 400 * time.Millisecond
	lease     = 200 * time.Millisecond
	commit    = 20 * time.Millisecond
)

// Deadlines of the waits: generous, the machine is shared and loaded.
const (
	// settleTimeout bounds a wait for a leader, a node's readiness or the
	// cluster's convergence.
	settleTimeout = 60 * time.Second
	// pollEvery is how often a wait looks again.
	pollEvery = 50 * time.Millisecond
	// statusTimeout bounds one GET /v1/cluster.
	statusTimeout = 2 * time.Second
)

// cluster is a set of controller processes started by a test.
type cluster struct {
	t     *testing.T
	dir   string
	nodes []*node
	env   []string // extra environment of every node
	lab   *netLab  // nil: every node on 127.0.0.1
	// sameFlags restarts the bootstrap node with --inventory too (see
	// start and TestRestartBootstrapNodeWithSameFlags).
	sameFlags bool
}

// node is one controller process, restartable on the same data directory
// and addresses.
type node struct {
	id       string
	dir      string
	httpAddr string
	raftAddr string
	ns       string // network namespace to run in, or ""
	args     []string
	status   *api.Client // of this node alone
	token    string      // the cluster's first admin token, once read
	cmd      *exec.Cmd
	exited   chan struct{} // closed once cmd has been waited for
	log      *os.File
}

// url is the node's API URL.
func (n *node) url() string { return "http://" + n.httpAddr }

// newCluster starts size controllers: the first bootstraps and applies
// inventory.Reference(4), the others join. With lab set, each runs in its
// own network namespace. It returns once every node is ready.
func newCluster(t *testing.T, size int, lab *netLab, env ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("FAULTS_KEEP") != "" {
		d, err := os.MkdirTemp("", "dcplane-faults-"+t.Name()+"-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
		t.Logf("nodes' data and logs kept in %s", dir)
	}
	c := &cluster{t: t, dir: dir, env: env, lab: lab}
	site := filepath.Join(dir, "site.yaml")
	doc, err := inventory.Marshal(inventory.Reference(4))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(site, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range size {
		c.nodes = append(c.nodes, c.newNode(i))
	}
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, n.url())
	}
	for i, n := range c.nodes {
		n.args = []string{"controller", "--node-id", n.id, "--data-dir", n.dir,
			"--http-addr", n.httpAddr, "--raft-addr", n.raftAddr, "--api-url", n.url(), "--log-level", "debug",
			"--raft-heartbeat-timeout", heartbeat.String(), "--raft-election-timeout", election.String(),
			"--raft-leader-lease-timeout", lease.String(), "--raft-commit-timeout", commit.String(),
			// No agent feeds these nodes: place on declared power rather
			// than refuse every rack once the leader finds them stale.
			"--declared-only",
			// Faults of the cluster, not of TLS, are what these tests
			// inject: plaintext keeps their clients and probes simple.
			"--insecure"}
		if i == 0 {
			n.args = append(n.args, "--bootstrap", "--inventory", site)
		} else {
			// The joiners show the first node's admin token: plaintext
			// has no certificate to speak for them.
			n.args = append(n.args, "--join", strings.Join(urls, ","),
				"--token-file", filepath.Join(c.nodes[0].dir, controller.AdminTokenFile))
		}
	}
	t.Cleanup(c.stop)
	c.start(0)
	c.readAdminToken()
	c.waitReady(c.nodes[0])
	for i := 1; i < size; i++ {
		c.start(i)
	}
	for _, n := range c.nodes {
		c.waitReady(n)
	}
	c.waitMembers(size)
	// The log store under test: the default, or DCPLANE_RAFT_LOG_STORE's
	// (.ci/run runs these tests with each).
	want := "log_store=" + cmp.Or(os.Getenv("DCPLANE_RAFT_LOG_STORE"), store.DefaultLogStore)
	for _, n := range c.nodes {
		if !c.logHas(n, want) {
			t.Fatalf("%s's log does not say %s", n.id, want)
		}
	}
	return c
}

// readAdminToken waits for the token the bootstrapping node writes to its
// data directory, and gives it to every node's status client.
func (c *cluster) readAdminToken() {
	path := filepath.Join(c.nodes[0].dir, controller.AdminTokenFile)
	c.waitFor("the first node's "+controller.AdminTokenFile, func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return errors.New(path + " is empty")
		}
		for _, n := range c.nodes {
			n.token = tok
			n.status.UseToken(tok)
		}
		return nil
	})
}

// newNode picks node i's addresses: free loopback ports, or its namespace's.
func (c *cluster) newNode(i int) *node {
	n := &node{id: fmt.Sprintf("n%d", i+1), dir: filepath.Join(c.dir, fmt.Sprintf("n%d", i+1))}
	if c.lab != nil {
		n.ns = c.lab.namespace(i)
		n.httpAddr = net.JoinHostPort(c.lab.apiIP(i), "18080")
		n.raftAddr = net.JoinHostPort(c.lab.raftIP(i), "18300")
	} else {
		n.httpAddr, n.raftAddr = freeport.Addr(), freeport.Addr()
	}
	var err error
	n.status, err = api.NewClient(n.url(), &http.Client{Timeout: statusTimeout})
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// urls are the API URLs of every node, starting with node first.
func (c *cluster) urls(first int) string {
	var us []string
	for i := range c.nodes {
		us = append(us, c.nodes[(first+i)%len(c.nodes)].url())
	}
	return strings.Join(us, ",")
}

// start starts node i's process with its usual flags; its output is
// appended to its log file.
func (c *cluster) start(i int) {
	c.t.Helper()
	n := c.nodes[i]
	if n.cmd != nil {
		select {
		case <-n.exited:
		default:
			c.t.Fatalf("start %s: still running", n.id)
		}
	}
	var err error
	if n.log == nil {
		if n.log, err = os.OpenFile(filepath.Join(c.dir, n.id+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
	args := n.args
	if n.cmd != nil && slices.Contains(args, "--inventory") && !c.sameFlags {
		// A restart leaves the inventory flag out: a node started with
		// --inventory while another leads exits with "not the leader"
		// (controller.go applies it through Barrier, which only a leader
		// can pass), although the README says a node may always restart
		// with the same flags.
		args = args[:len(args)-2]
	}
	name := binary
	if n.ns != "" {
		name, args = "ip", append([]string{"netns", "exec", n.ns, binary}, n.args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = n.log, n.log
	fmt.Fprintf(n.log, "=== %s start %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.id, err)
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(n.exited)
}

// kill sends node i SIGKILL and waits until it has died.
func (c *cluster) kill(i int) {
	c.t.Helper()
	n := c.nodes[i]
	c.t.Logf("kill -9 %s", n.id)
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-n.exited:
	case <-time.After(settleTimeout):
		c.t.Fatalf("kill %s: still running after %v", n.id, settleTimeout)
	}
}

// signal sends node i sig (SIGSTOP, SIGCONT).
func (c *cluster) signal(i int, sig syscall.Signal) {
	c.t.Helper()
	c.t.Logf("%v %s", sig, c.nodes[i].id)
	if err := c.nodes[i].cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("%v %s: %v", sig, c.nodes[i].id, err)
	}
}

// stop kills every node still running and, if the test failed, logs the
// end of each node's log.
func (c *cluster) stop() {
	for _, n := range c.nodes {
		if n.cmd == nil {
			continue
		}
		_ = n.cmd.Process.Signal(syscall.SIGCONT)
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		<-n.exited
		n.log.Close()
		for _, bad := range []string{"WARNING: DATA RACE", "panic:"} {
			if c.logHas(n, bad) {
				c.t.Errorf("%s's log has %q", n.id, bad)
			}
		}
		if c.t.Failed() {
			c.t.Logf("--- end of %s's log:\n%s", n.id, tail(filepath.Join(c.dir, n.id+".log"), 25))
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// running says whether node i's process is alive.
func (n *node) running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// statusOf asks node n for its view of the cluster.
func statusOf(ctx context.Context, n *node) (*api.ClusterStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	return n.status.Cluster(ctx)
}

// waitFor polls cond until it returns nil, failing the test with the last
// error after settleTimeout.
func (c *cluster) waitFor(what string, cond func() error) {
	c.t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s: still %v after %v", what, err, settleTimeout)
		}
		time.Sleep(pollEvery)
	}
}

// waitReady waits until node n serves its state.
func (c *cluster) waitReady(n *node) {
	c.t.Helper()
	c.waitFor(n.id+" to be ready", func() error {
		if n.cmd != nil && !n.running() {
			c.t.Fatalf("%s exited: %s", n.id, tail(filepath.Join(c.dir, n.id+".log"), 1))
		}
		st, err := statusOf(context.Background(), n)
		switch {
		case err != nil:
			return err
		case st.Ready != "ok":
			return errors.New(st.Ready)
		case st.LeaderAPI == "":
			return errors.New("no leader API known")
		}
		return nil
	})
}

// waitMembers waits until the leader lists size voters.
func (c *cluster) waitMembers(size int) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("%d voters", size), func() error {
		st, err := statusOf(context.Background(), c.nodes[c.leader()])
		if err != nil {
			return err
		}
		voters := 0
		for _, m := range st.Members {
			if m.Voter && m.API != "" {
				voters++
			}
		}
		if voters != size {
			return fmt.Errorf("%d voters with an API URL", voters)
		}
		return nil
	})
}

// leader waits until one of the running nodes leads, is ready, and every
// other running node that answers names it; it returns its index.
func (c *cluster) leader(among ...int) int {
	c.t.Helper()
	if len(among) == 0 {
		for i := range c.nodes {
			among = append(among, i)
		}
	}
	found := -1
	c.waitFor("a leader", func() error {
		found = -1
		var ids []string
		for _, i := range among {
			n := c.nodes[i]
			if !n.running() {
				continue
			}
			st, err := statusOf(context.Background(), n)
			if err != nil {
				continue // paused, partitioned, or starting
			}
			ids = append(ids, st.Leader)
			if st.State == "Leader" && st.Ready == "ok" {
				found = i
			}
		}
		if found < 0 {
			return fmt.Errorf("no ready leader among %v (they name %q)", among, ids)
		}
		for _, id := range ids {
			if id != c.nodes[found].id {
				return fmt.Errorf("nodes name leaders %q", ids)
			}
		}
		return nil
	})
	return found
}

// converge waits until every node answers ready with the same state index
// and hash, and returns them.
func (c *cluster) converge() (uint64, string) {
	c.t.Helper()
	var index uint64
	var hash string
	c.waitFor("every node to hold the same state", func() error {
		var seen []string
		for i, n := range c.nodes {
			st, err := statusOf(context.Background(), n)
			if err != nil {
				return fmt.Errorf("%s: %w", n.id, err)
			}
			if st.Ready != "ok" {
				return fmt.Errorf("%s: %s", n.id, st.Ready)
			}
			seen = append(seen, fmt.Sprintf("%s@%d:%.12s", n.id, st.StateIndex, st.StateHash))
			if i == 0 {
				index, hash = st.StateIndex, st.StateHash
			} else if st.StateIndex != index || st.StateHash != hash {
				return fmt.Errorf("states differ: %s", strings.Join(seen, " "))
			}
		}
		return nil
	})
	c.t.Logf("all %d nodes converged: state index %d, hash %.16s…", len(c.nodes), index, hash)
	return index, hash
}

// commitIndex is the highest commit index any running node reports.
func (c *cluster) commitIndex() uint64 {
	var top uint64
	for _, n := range c.nodes {
		if st, err := statusOf(context.Background(), n); err == nil {
			top = max(top, st.CommitIndex)
		}
	}
	return top
}

// snapshotIndex is the index of node i's latest snapshot on disk, 0 if none.
func (c *cluster) snapshotIndex(i int) uint64 {
	metas, _ := filepath.Glob(filepath.Join(c.nodes[i].dir, "snapshots", "*", "meta.json"))
	var top uint64
	for _, m := range metas {
		// Raft names a snapshot term-index-milliseconds.
		parts := strings.Split(filepath.Base(filepath.Dir(m)), "-")
		if len(parts) == 3 {
			if idx, err := strconv.ParseUint(parts[1], 10, 64); err == nil {
				top = max(top, idx)
			}
		}
	}
	return top
}

// logHas says whether node n's log holds a line containing s.
func (c *cluster) logHas(n *node, s string) bool {
	b, err := os.ReadFile(filepath.Join(c.dir, n.id+".log"))
	return err == nil && strings.Contains(string(b), s)
}

// others are the indexes of the nodes other than those given.
func (c *cluster) others(not ...int) []int {
	var out []int
	for i := range c.nodes {
		skip := false
		for _, j := range not {
			skip = skip || i == j
		}
		if !skip {
			out = append(out, i)
		}
	}
	return out
}
