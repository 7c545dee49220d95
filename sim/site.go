package sim

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// SiteConfig describes a simulated site.
type SiteConfig struct {
	Site      *inventory.Site
	Community string  // every device answers to it; required
	Level     float64 // mean rack load, a share of the rack budget; 0.6
	Seed      uint64  // varies the racks' load curves
	Host      string  // address to bind; 127.0.0.1
	// Refresh is how often a device resamples its readings, as a real
	// management card does; 1 s. Tests with short poll intervals lower it.
	Refresh time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	// Recorded maps PDU IDs to the recording of a real PDU each serves,
	// its load overlaid (NewRecordedPDU); the others are APC rPDU2 models.
	Recorded map[string]*RecordingPlan
	// Curves, when given, are the measured curves the racks' loads replay
	// (NewCurveModel, each rack on one of them from its own point);
	// otherwise each rack follows NewLoadModel's daily cosine.
	Curves []*Curve
}

// Site is a running simulated site: one SNMP agent on its own UDP port for
// every PDU and cooling unit of an inventory, each reading a live power
// model of its rack (PDUs) or row (cooling units).
type Site struct {
	server         *Server
	log            *slog.Logger
	racks          map[string]*Rack
	devices        map[string]*Device
	addrs          map[string]string
	conns          []net.PacketConn
	host           string
	bmcCredentials string
	bmcs           map[string]string    // server ID → its BMC's address
	closers        []io.Closer          // the BMCs' servers
	servers        map[string]serverRef // servers with a BMC, for their faults
	allServers     map[string]bool      // every server of the site, for errors
	cancel         context.CancelFunc
	wg             sync.WaitGroup
}

// StartSite builds the devices of cfg.Site and serves them until Close or
// until ctx is done.
func StartSite(ctx context.Context, cfg SiteConfig) (*Site, error) {
	if cfg.Site == nil || cfg.Community == "" {
		return nil, fmt.Errorf("sim: site needs a Site and a Community: %w", ErrBadConfig)
	}
	if cfg.Level <= 0 {
		cfg.Level = 0.6
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Site{server: NewServer(ServerOptions{Logger: cfg.Logger}), log: cfg.Logger.With("component", "sim"), racks: map[string]*Rack{},
		devices: map[string]*Device{}, addrs: map[string]string{}, cancel: cancel,
		host: cfg.Host, bmcs: map[string]string{}}
	for _, h := range cfg.Site.Halls {
		for _, r := range h.Rows {
			if err := s.addRow(ctx, cfg, &r); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Site) addRow(ctx context.Context, cfg SiteConfig, row *inventory.Row) error {
	var racks []*Rack
	for _, k := range row.Racks {
		model := NewLoadModel(cfg.Level*k.BudgetWatts(), cfg.Seed^hashID(k.ID))
		if len(cfg.Curves) > 0 {
			model = NewCurveModel(cfg.Level*k.BudgetWatts(), cfg.Seed^hashID(k.ID), cfg.Curves)
		}
		rack := NewRack(model, cfg.Now)
		s.racks[k.ID] = rack
		racks = append(racks, rack)
		for _, p := range k.PDUs {
			feed := FeedA
			if p.Feed != k.Feeds[0] {
				feed = FeedB
			}
			if plan := cfg.Recorded[p.ID]; plan != nil {
				if err := s.serveRecorded(ctx, cfg, p.ID, plan, rack.FeedFunc(feed)); err != nil {
					return err
				}
				continue
			}
			pdu, err := NewRackPDU(RackPDUConfig{Name: p.ID, Location: k.ID, Phases: p.Phases, Voltage: p.VoltageV,
				BreakerAmps: int(p.BreakerA), Load: rack.FeedFunc(feed), Now: cfg.Now, Refresh: cfg.Refresh,
				EnergyKWh: meterAtStart(p.ID, cfg.Level*k.BudgetWatts()/float64(len(k.PDUs)))})
			if err != nil {
				return err
			}
			if err := s.serve(ctx, cfg, p.ID, pdu.Device); err != nil {
				return err
			}
		}
	}
	total := TotalLoad(racks...)
	n := float64(len(row.Cooling))
	for _, c := range row.Cooling {
		unit, err := NewInRow(InRowConfig{Name: c.ID, Location: row.ID, CapacityWatts: c.CapacityWatts(),
			HeatLoad: func() float64 { return total() / n }, Now: cfg.Now, Refresh: cfg.Refresh})
		if err != nil {
			return err
		}
		if err := s.serve(ctx, cfg, c.ID, unit.Device); err != nil {
			return err
		}
	}
	return nil
}

// serveRecorded serves a PDU from a recording, its load overlaid.
func (s *Site) serveRecorded(ctx context.Context, cfg SiteConfig, id string, plan *RecordingPlan, load func() float64) error {
	pdu, err := NewRecordedPDU(RecordedPDUConfig{Name: id, Plan: plan, Load: load, Now: cfg.Now, Refresh: cfg.Refresh})
	if err != nil {
		return err
	}
	return s.serve(ctx, cfg, id, pdu.Device)
}

// serve gives a device a UDP socket of its own and answers on it.
func (s *Site) serve(ctx context.Context, cfg SiteConfig, id string, d *Device) error {
	conn, err := net.ListenPacket("udp", net.JoinHostPort(cfg.Host, "0"))
	if err != nil {
		return fmt.Errorf("sim: device %s: %w", id, err)
	}
	s.conns = append(s.conns, conn)
	s.devices[id] = d
	s.addrs[id] = conn.LocalAddr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.server.Serve(ctx, conn, map[string]*Device{cfg.Community: d}); err != nil && ctx.Err() == nil {
			s.log.Warn("device stopped serving", "device", id, "err", err)
		}
	}()
	return nil
}

// meterAtStart is the energy meter of a PDU when the simulation starts, in
// kWh: what it drew at its mean power meanW over one to three years of
// service (by its ID). A real PDU's meter has run since it was installed;
// one that started at 0 read 0 J for its first minute and more (the rPDU2
// meter counts tenths of kWh, which 5 kW takes 72 s to draw), as if it
// drew nothing. From there the meter counts what the simulation draws.
func meterAtStart(id string, meanW float64) float64 {
	years := 1 + float64(hashID(id)%2000)/1000
	return math.Round(meanW * years * 8760 / 1000)
}

func hashID(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// Rewrite points the SNMP addresses of site's devices at the simulator,
// and gives the servers it serves a BMC for (StartBMCs) their BMC's
// address and credentials.
func (s *Site) Rewrite(site *inventory.Site) {
	for id, ep := range site.Devices() {
		if a, ok := s.addrs[id]; ok {
			ep.Address = a
		}
	}
	if len(s.bmcs) == 0 {
		return
	}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			if a, ok := s.bmcs[k.Servers[i].ID]; ok {
				k.Servers[i].BMC = &inventory.BMC{Address: a, Credentials: s.bmcCredentials}
			}
		}
		return true
	})
}

// ErrUnknown is returned for a rack or device the simulated site lacks.
var ErrUnknown = errors.New("sim: no such rack or device")

// Rack returns a rack's power model, to pin or release its load.
func (s *Site) Rack(id string) (*Rack, error) {
	if r, ok := s.racks[id]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: rack %q", ErrUnknown, id)
}

// Device returns a simulated device, to silence it or make it answer
// garbage.
func (s *Site) Device(id string) (*Device, error) {
	if d, ok := s.devices[id]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("%w: device %q", ErrUnknown, id)
}

// Devices is how many devices the site serves.
func (s *Site) Devices() int { return len(s.devices) }

// Close stops every device and waits for them.
func (s *Site) Close() {
	s.cancel()
	for _, c := range s.conns {
		c.Close()
	}
	for _, c := range s.closers {
		c.Close()
	}
	s.wg.Wait()
}
