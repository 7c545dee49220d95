package sim

import (
	"errors"
	"fmt"
)

// ErrNoBMC is returned for a fault injected into a server the simulator
// serves no BMC for: without one, nothing could see the fault.
var ErrNoBMC = errors.New("sim: the server has no simulated BMC")

// Miswire plugs every PSU of server into its rack's first feed (A), while
// the inventory still says otherwise: the PDU of feed A measures what its
// PSUs inventoried on the other feeds draw, and theirs measure that much
// less. The server's BMC reports the same PSU input power as before (a BMC
// does not know where its PSUs are plugged).
func (s *Site) Miswire(server string) error {
	ref, err := s.bmcServer(server)
	if err != nil {
		return err
	}
	ref.rs.mu.Lock()
	defer ref.rs.mu.Unlock()
	ref.rs.miswired[ref.i] = true
	return nil
}

// FailPSU makes the last PSU of server draw nothing (its BMC reads 0 W and
// a failure on it), its other PSUs drawing the server's power; the PDUs
// measure the power moved between the feeds.
func (s *Site) FailPSU(server string) error {
	ref, err := s.bmcServer(server)
	if err != nil {
		return err
	}
	ref.rs.mu.Lock()
	defer ref.rs.mu.Unlock()
	ref.rs.failed[ref.i] = len(ref.rs.psuFeed[ref.i]) - 1
	return nil
}

// serverRef is server i of a rack's servers.
type serverRef struct {
	rs *rackServers
	i  int
}

// bmcServer finds a server with a BMC: ErrUnknown if the site has no such
// server, ErrNoBMC if it has no BMC.
func (s *Site) bmcServer(id string) (serverRef, error) {
	if ref, ok := s.servers[id]; ok {
		return ref, nil
	}
	if s.allServers[id] {
		return serverRef{}, fmt.Errorf("server %s: %w (only the first servers get one)", id, ErrNoBMC)
	}
	return serverRef{}, fmt.Errorf("server %q: %w", id, ErrUnknown)
}

// failedPSU is server i's failed PSU, or -1.
func (rs *rackServers) failedPSU(i int) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if j, ok := rs.failed[i]; ok {
		return j
	}
	return -1
}
