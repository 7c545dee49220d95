package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
)

// Floor is the lowest port drawn: above the registered ports of the
// services a machine is likely to run.
const Floor = 20000

// Addrs returns n distinct 127.0.0.1 addresses whose ports were free a
// moment ago, drawn below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range); where that range cannot be read (not
// Linux) or no port below it is free, any free port. Each listener is held
// until all n are chosen, so that no port is handed out twice.
func Addrs(n int) []string {
	low := ephemeralLow()
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := listenBelow(low)
		if err != nil {
			addrs = append(addrs, "127.0.0.1:0")
			continue
		}
		lns, addrs = append(lns, ln), append(addrs, ln.Addr().String())
	}
	return addrs
}

// Addr is one address of Addrs.
func Addr() string { return Addrs(1)[0] }

// listenBelow listens on a random free port of [Floor, low), or on any
// port if that range is empty or 50 draws found none free.
func listenBelow(low int) (net.Listener, error) {
	for range 50 {
		if low <= Floor {
			break
		}
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", Floor+rand.IntN(low-Floor))); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// ephemeralLow is the first port of the kernel's ephemeral range, or 0 if
// it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	var low int
	if _, err := fmt.Sscan(string(b), &low); err != nil {
		return 0
	}
	return low
}
