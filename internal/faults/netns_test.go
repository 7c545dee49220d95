//go:build faults

package faults

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netLab puts each node in a network namespace of its own, with two links
// to bridges in the test's namespace: one for Raft (10.S.1.0/24), one for
// the API (10.S.2.0/24, which the test's clients reach through the bridge's
// address). Taking a node's Raft link down partitions it from the other
// nodes' Raft while the clients, and the followers forwarding to it, still
// reach its API: the case where a deposed leader could serve stale reads.
//
// It needs root and a kernel that allows namespaces, veth pairs and bridges
// (tried in this project's containers and CI); the kernel has no netem, so
// delays and loss are not modelled.
type netLab struct {
	t      *testing.T
	prefix string // of namespace and interface names (at most 15 bytes)
	subnet int    // S in 10.S.x.0/24
	size   int
}

// newNetLab sets up namespaces for size nodes, or skips the test where the
// machine does not allow them (fails under CI=true, where it must).
func newNetLab(t *testing.T, size int) *netLab {
	t.Helper()
	pid := os.Getpid()
	l := &netLab{t: t, prefix: fmt.Sprintf("dcf%x", pid%0xffff), subnet: 100 + pid%150, size: size}
	if err := l.setup(); err != nil {
		l.teardown()
		msg := fmt.Sprintf("network namespaces are not available here (%v): run as root on Linux with ip(8)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(l.teardown)
	return l
}

func (l *netLab) namespace(i int) string { return fmt.Sprintf("%sn%d", l.prefix, i+1) }
func (l *netLab) raftIP(i int) string    { return fmt.Sprintf("10.%d.1.%d", l.subnet, i+1) }
func (l *netLab) apiIP(i int) string     { return fmt.Sprintf("10.%d.2.%d", l.subnet, i+1) }

// link is the name of node i's link to bridge b ("r" or "a") on the
// test's side; its peer in the namespace has "p" appended.
func (l *netLab) link(b string, i int) string { return fmt.Sprintf("%s%s%d", l.prefix, b, i+1) }
func (l *netLab) bridge(b string) string      { return l.prefix + "b" + b }

func (l *netLab) setup() error {
	for _, b := range []struct{ name, addr string }{
		{"r", ""}, {"a", fmt.Sprintf("10.%d.2.254/24", l.subnet)},
	} {
		if err := ip("link", "add", l.bridge(b.name), "type", "bridge"); err != nil {
			return err
		}
		if b.addr != "" {
			if err := ip("addr", "add", b.addr, "dev", l.bridge(b.name)); err != nil {
				return err
			}
		}
		if err := ip("link", "set", l.bridge(b.name), "up"); err != nil {
			return err
		}
	}
	for i := range l.size {
		ns := l.namespace(i)
		if err := ip("netns", "add", ns); err != nil {
			return err
		}
		if err := ip("-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
		for _, b := range []struct{ name, addr string }{{"r", l.raftIP(i)}, {"a", l.apiIP(i)}} {
			if err := l.plug(ns, b.name, i, b.addr); err != nil {
				return err
			}
		}
	}
	return nil
}

// plug links namespace ns to bridge b, with addr inside.
func (l *netLab) plug(ns, b string, i int, addr string) error {
	out, in := l.link(b, i), l.link(b, i)+"p"
	for _, args := range [][]string{
		{"link", "add", out, "type", "veth", "peer", "name", in},
		{"link", "set", in, "netns", ns},
		{"link", "set", out, "master", l.bridge(b)},
		{"link", "set", out, "up"},
		{"-n", ns, "addr", "add", addr + "/24", "dev", in},
		{"-n", ns, "link", "set", in, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

// cutRaft takes node i's Raft link down (up again with healRaft).
func (l *netLab) cutRaft(i int) {
	l.t.Helper()
	l.t.Logf("partition: node n%d's Raft link down", i+1)
	if err := ip("link", "set", l.link("r", i), "down"); err != nil {
		l.t.Fatal(err)
	}
}

func (l *netLab) healRaft(i int) {
	l.t.Helper()
	l.t.Logf("partition healed: node n%d's Raft link up", i+1)
	if err := ip("link", "set", l.link("r", i), "up"); err != nil {
		l.t.Fatal(err)
	}
}

// teardown deletes the namespaces (and with them the veth pairs) and the
// bridges, ignoring what is not there.
func (l *netLab) teardown() {
	for i := range l.size {
		_ = ip("netns", "del", l.namespace(i))
	}
	for _, b := range []string{"r", "a"} {
		_ = ip("link", "del", l.bridge(b))
	}
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
