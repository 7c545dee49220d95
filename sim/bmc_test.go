package sim

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// TestBMCsFromFirstPort: with FirstPort the BMCs listen on the next free
// ports from it, skipping one another program holds.
func TestBMCsFromFirstPort(t *testing.T) {
	first, held := freePortPair(t)
	defer held.Close()
	site := inventory.Reference(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := StartSite(ctx, SiteConfig{Site: site, Community: "c0mm"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.StartBMCs(ctx, site, BMCConfig{Servers: 3, User: "admin", Password: "pw", FirstPort: first}); err != nil {
		t.Fatal(err)
	}
	s.Rewrite(site)
	var ports []int
	for _, srv := range site.Halls[0].Rows[0].Racks[0].Servers[:3] {
		_, p, err := net.SplitHostPort(srv.BMC.Address)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(p)
		ports = append(ports, n)
	}
	if ports[0] != first || ports[1] <= first+1 || ports[2] <= ports[1] {
		t.Errorf("got BMC ports %v, want %d first, then the free ones after %d (held)", ports, first, first+1)
	}
}

// freePortPair finds a port p free on 127.0.0.1 whose next one it holds,
// and returns p and the held socket.
func freePortPair(t *testing.T) (int, net.PacketConn) {
	t.Helper()
	for range 20 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if p+1 > 65535 {
			continue
		}
		held, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1)))
		if err == nil {
			return p, held
		}
	}
	t.Fatal("no pair of free ports found")
	return 0, nil
}
