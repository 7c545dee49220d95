package freeport

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
)

// TestAddrs: distinct loopback ports, free when returned, drawn below the
// kernel's ephemeral range where no listener on port 0 is given one.
func TestAddrs(t *testing.T) {
	// The range as the kernel says it, read here and not by ephemeralLow.
	var low int
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if _, err := fmt.Sscan(string(b), &low); err != nil {
			t.Fatalf("ip_local_port_range %q: %v", b, err)
		}
	}
	seen := map[string]bool{}
	for _, a := range Addrs(12) {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("got %q (%v), want 127.0.0.1:PORT", a, err)
		}
		p, _ := strconv.Atoi(port)
		if seen[a] || p == 0 {
			t.Errorf("got %s twice or port 0", a)
		}
		seen[a] = true
		if low > Floor && (p < Floor || p >= low) {
			t.Errorf("got port %d, want it in [%d, %d)", p, Floor, low)
		}
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("listen on %s: %v, want it free", a, err)
			continue
		}
		ln.Close()
	}
}

// TestAddrsWhenAllBelowAreTaken: with no port free below the range, any
// free port, not an error or port 0.
func TestAddrsWhenAllBelowAreTaken(t *testing.T) {
	ln, err := listenBelow(Floor)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if p := ln.Addr().(*net.TCPAddr).Port; p == 0 || p < Floor {
		t.Errorf("got port %d, want one the kernel gave", p)
	}
}
