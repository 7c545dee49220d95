package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"syscall"

	"github.com/bougou/go-ipmi/pkg/bmc"
	"github.com/bougou/go-ipmi/pkg/clock"
	"github.com/bougou/go-ipmi/pkg/hal/mock"
	"github.com/bougou/go-ipmi/pkg/handlers"
	"github.com/bougou/go-ipmi/pkg/server"
	"github.com/bougou/go-ipmi/pkg/transport/udp"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors/ipmi/bmcsim"
	"github.com/dcplane/dcplane/internal/inventory"
)

// BMCConfig says which servers of a simulated site get a BMC, and how the
// agent logs in to them.
type BMCConfig struct {
	// Servers is how many servers get a BMC, in inventory order (a whole
	// rack's servers before the next rack's); negative means all. Each BMC
	// is a go-ipmi server with its own UDP socket: the 18,000 servers of
	// the reference site are more than a demo needs.
	Servers int
	// User and Password are the BMCs' one user (Administrator); required.
	User, Password string
	// Credentials is the name Rewrite writes in the servers' bmc
	// endpoints: an ipmi entry of the agent's credentials file.
	Credentials string
	// FirstPort, when not 0, is where the BMCs' ports start: each BMC
	// listens on the next port from it that is free. 0 takes ports the
	// system picks, from its ephemeral range, which is also where an
	// agent polling them from the same host takes its sockets' ports (one
	// per kept session): Linux's default range holds 28,232, fewer than
	// 18,000 BMCs and 18,000 sessions. Below that range (under 32768 on
	// Linux), the two do not compete.
	FirstPort int
}

// BMC sensor numbers: PSU n's input power is bmcPSUPower+n-1, its status
// bmcPSUStatus+n-1.
const (
	bmcPSUPower  = 0x30
	bmcPSUStatus = 0x40
)

// StartBMCs serves a BMC for the first cfg.Servers servers of site (the
// site StartSite was given), each on its own UDP port on the site's host,
// answering IPMI v2.0 over RMCP+ (cipher suite 17): DCMI Get Power Reading
// gives the server's input power now, and the SDR has an input power and a
// status sensor for each PSU, numbered as the server's psu_feeds. Their
// power follows the rack's model (see rackServers). It returns how many
// BMCs it started; Close stops them.
func (s *Site) StartBMCs(ctx context.Context, site *inventory.Site, cfg BMCConfig) (int, error) {
	if cfg.User == "" || cfg.Password == "" {
		return 0, fmt.Errorf("sim: BMCs need a user and a password: %w", ErrBadConfig)
	}
	s.bmcCredentials = cfg.Credentials
	s.servers, s.allServers = map[string]serverRef{}, map[string]bool{}
	ports := &bmcPorts{host: s.host, next: cfg.FirstPort}
	n := 0
	var err error
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			s.allServers[k.Servers[i].ID] = true
		}
		rack := s.racks[k.ID]
		if rack == nil || len(k.Servers) == 0 || err != nil || (cfg.Servers >= 0 && n >= cfg.Servers) {
			return true // on, to know every server
		}
		rs := newRackServers(rack, k)
		rack.setAdjust(rs.feedDelta)
		for i := range k.Servers {
			if cfg.Servers >= 0 && n >= cfg.Servers {
				break
			}
			if err = s.serveBMC(ctx, cfg, ports, k.Servers[i].ID, rs, i); err != nil {
				break
			}
			s.servers[k.Servers[i].ID] = serverRef{rs, i}
			n++
		}
		return true
	})
	return n, err
}

// serveBMC starts the BMC of server i of rs.
func (s *Site) serveBMC(ctx context.Context, cfg BMCConfig, ports *bmcPorts, id string, rs *rackServers, i int) error {
	res := psuResolution(rs.maxW[i])
	h := mock.New()
	for j := range rs.psuFeed[i] {
		n := uint8(j)
		for k, sn := range []bmcsim.Sensor{
			{Number: bmcPSUPower + n, Name: fmt.Sprintf("PSU%d Input", j+1), EntityID: 10, Instance: n + 1, Type: 0x0b, Unit: 6, M: int16(res), Direction: 1},
			{Number: bmcPSUStatus + n, Name: fmt.Sprintf("PSU%d Status", j+1), EntityID: 10, Instance: n + 1, Type: 0x08, Discrete: true},
		} {
			rid := uint16(2*j + k + 1)
			if err := h.Storage().SDR().Write(ctx, rid, sn.Record(rid)); err != nil {
				return fmt.Errorf("sim: BMC %s: %w", id, err)
			}
		}
	}
	b, err := newBMC(h, cfg)
	if err != nil {
		return fmt.Errorf("sim: BMC %s: %w", id, err)
	}
	reg := handlers.NewRegistry()
	handlers.RegisterAllHandlers(reg)
	reg.RegisterFunc(types.CommandGetSensorReading, func(_ context.Context, _ *handlers.HandlerContext, req []byte) ([]byte, types.CompletionCode, error) {
		data, cc := sensorReading(rs, i, res, req)
		return data, cc, nil
	})
	reg.RegisterFunc(types.CommandGetDCMIPowerReading, func(context.Context, *handlers.HandlerContext, []byte) ([]byte, types.CompletionCode, error) {
		w := 0.0
		for _, p := range rs.psuWatts(i) {
			w += p
		}
		now := uint16(min(math.MaxUint16, math.Round(w)))
		return bmcsim.DCMIPower(now, now, now, now, 1000, true), types.CodeOK, nil
	})
	conn, err := ports.listen()
	if err != nil {
		return fmt.Errorf("sim: BMC %s: %w", id, err)
	}
	srv := server.NewServer(b, conn, server.WithHandlerRegistry(reg),
		server.WithCipherSuites([]types.CipherSuiteID{types.CipherSuiteID17}))
	s.bmcs[id] = conn.LocalAddr().String()
	s.closers = append(s.closers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("BMC stopped serving", "server", id, "err", err)
		}
	}()
	return nil
}

// bmcPorts opens the BMCs' sockets on host: on ports the system picks
// when next is 0, else on the next free ones from next up.
type bmcPorts struct {
	host string
	next int
}

func (p *bmcPorts) listen() (*udp.Conn, error) {
	if p.next == 0 {
		return udp.Listen(net.JoinHostPort(p.host, "0"))
	}
	for ; p.next <= math.MaxUint16; p.next++ {
		conn, err := udp.Listen(net.JoinHostPort(p.host, strconv.Itoa(p.next)))
		if errors.Is(err, syscall.EADDRINUSE) {
			continue // another program's
		}
		p.next++
		return conn, err
	}
	return nil, errors.New("no free UDP port left from BMCConfig.FirstPort up")
}

// BMCs is how many BMCs the site serves.
func (s *Site) BMCs() int { return len(s.bmcs) }

// newBMC is a BMC with cfg's user as its Administrator.
func newBMC(h *mock.HAL, cfg BMCConfig) (*bmc.BMC, error) {
	info := bmc.DeviceInfo{DeviceID: 0x20, DeviceRevision: 1, FirmwareMajor: 1, IPMIVersion: 0x02, ManufacturerID: 0x1c4c, ProductID: 0x0101}
	var guid [16]byte
	copy(guid[:], "dcplane-sim-bmc")
	b := bmc.New(info, guid, h, bmc.WithClock(clock.Real))
	u, err := b.Users.Add(2, cfg.User)
	if err != nil {
		return nil, err
	}
	u.SetPassword([]byte(cfg.Password))
	u.Enabled = true
	u.ChannelAccess[1] = bmc.UserChannelAccess{MaxPrivilege: bmc.PrivilegeLevelAdministrator, Enabled: true}
	return b, nil
}

// sensorReading answers Get Sensor Reading for server i of rs: a PSU's
// input power at res watts a count, or its status (present; failed too
// if FailPSU failed it).
func sensorReading(rs *rackServers, i, res int, req []byte) ([]byte, types.CompletionCode) {
	if len(req) < 1 {
		return nil, types.CodeRequestDataLengthInvalid
	}
	psus := len(rs.psuFeed[i])
	switch n := int(req[0]); {
	case n >= bmcPSUPower && n < bmcPSUPower+psus:
		w := rs.psuWatts(i)[n-bmcPSUPower]
		return []byte{byte(min(255, math.Round(w/float64(res)))), 0xc0, 0x00, 0x00}, types.CodeOK
	case n >= bmcPSUStatus && n < bmcPSUStatus+psus:
		if rs.failedPSU(i) == n-bmcPSUStatus {
			return []byte{0x00, 0xc0, 0x03, 0x00}, types.CodeOK // presence and failure detected
		}
		return []byte{0x00, 0xc0, 0x01, 0x00}, types.CodeOK // presence detected
	}
	return nil, types.CodeRequestedDataNotPresent
}
