package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Defaults of ServerOptions.
const (
	DefaultMaxVarbinds      = 100
	DefaultMaxResponseBytes = 1472 // a UDP payload in a 1500-byte Ethernet frame
	// maxRequestBytes bounds the requests a Server reads. Pollers send
	// small requests (a GET of 100 OIDs is about 3 KB); a small buffer keeps
	// a site of a thousand sockets, each blocked in a read, cheap. Larger
	// requests are dropped, as an agent with a small maximum message size
	// would.
	maxRequestBytes = 8192
	maxUDPPayload   = 65507 // the largest response a datagram can carry
)

// Device is one simulated SNMP agent: the View it answers from and the
// faults a test can inject. The zero fault state answers normally.
type Device struct {
	view     *View
	silenced atomic.Bool
	garbage  atomic.Bool
	delay    atomic.Int64 // nanoseconds before each answer
}

// NewDevice returns a device answering from v.
func NewDevice(v *View) *Device { return &Device{view: v} }

// View returns the view the device answers from.
func (d *Device) View() *View { return d.view }

// Silence makes the device stop answering (on) or answer again (off), as a
// device whose management card has hung or lost its network does.
func (d *Device) Silence(on bool) { d.silenced.Store(on) }

// Silenced reports whether the device is silenced.
func (d *Device) Silenced() bool { return d.silenced.Load() }

// SetDelay makes the device answer each request d late (0: at once), as a
// device whose management card is slow or far away does. The server goes on
// reading requests meanwhile.
func (d *Device) SetDelay(delay time.Duration) { d.delay.Store(int64(delay)) }

// Delay returns how late the device answers.
func (d *Device) Delay() time.Duration { return time.Duration(d.delay.Load()) }

// SetGarbage makes the device answer every numeric object with an OCTET
// STRING (on), to test how collectors handle a value of the wrong type.
func (d *Device) SetGarbage(on bool) { d.garbage.Store(on) }

// Garbage reports whether the device answers garbage.
func (d *Device) Garbage() bool { return d.garbage.Load() }

// ServerOptions configures a Server. Zero fields take the defaults.
type ServerOptions struct {
	Logger *slog.Logger // nil discards
	// MaxVarbinds caps the variable bindings of a GetBulk response.
	MaxVarbinds int
	// MaxResponseBytes caps the encoded size of a GetBulk response, which is
	// cut short (RFC 3416 §4.2.3) rather than sent over the limit.
	MaxResponseBytes int
}

// Server is an SNMP v1/v2c agent. It decodes requests and encodes responses
// with gosnmp's codec. Requests for a community it does not serve, and
// requests to a silenced device, get no answer, as real agents do.
type Server struct {
	log         *slog.Logger
	maxVarbinds int
	maxBytes    int
	served      atomic.Uint64
}

// NewServer returns a server with the given options.
func NewServer(opts ServerOptions) *Server {
	s := &Server{log: opts.Logger, maxVarbinds: opts.MaxVarbinds, maxBytes: opts.MaxResponseBytes}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.log = s.log.With("component", "sim.agent")
	if s.maxVarbinds <= 0 {
		s.maxVarbinds = DefaultMaxVarbinds
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxResponseBytes
	}
	return s
}

// Served returns how many responses the server has sent, on all sockets.
func (s *Server) Served() uint64 { return s.served.Load() }

// Serve answers requests arriving on conn, the community choosing the
// device: pass one entry to serve one device per socket, or many to serve a
// hall on one socket. devices is copied; faults are read from each Device
// on every request. Serve returns nil when ctx is cancelled or conn is
// closed, and another error if reading fails. It does not close conn.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn, devices map[string]*Device) error {
	devs := make(map[string]*Device, len(devices))
	for c, d := range devices {
		devs[c] = d
	}
	// Unblock ReadFrom when ctx ends; stop() keeps the callback from running
	// once Serve has returned normally.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	codec := &gosnmp.GoSNMP{} // not shared: decoding writes to it
	buf := make([]byte, maxRequestBytes+1)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("sim: serve %s: %w", conn.LocalAddr(), err)
		}
		if n > maxRequestBytes {
			s.log.Debug("request too large; dropped", "from", addr, "limit", maxRequestBytes)
			continue
		}
		resp, delay := s.handle(codec, buf[:n], devs)
		switch {
		case resp == nil:
		case delay > 0:
			// The timer's function returns once it has written (or the
			// socket is closed): nothing outlives it.
			time.AfterFunc(delay, func() { s.write(conn, resp, addr) })
		default:
			s.write(conn, resp, addr)
		}
	}
}

// write sends resp to addr and counts it.
func (s *Server) write(conn net.PacketConn, resp []byte, addr net.Addr) {
	if _, err := conn.WriteTo(resp, addr); err != nil {
		s.log.Debug("write response", "to", addr, "err", err)
		return
	}
	s.served.Add(1)
}

// handle returns the encoded response to one datagram, or nil for none,
// and how late the device sends it.
func (s *Server) handle(codec *gosnmp.GoSNMP, raw []byte, devs map[string]*Device) ([]byte, time.Duration) {
	req, err := codec.SnmpDecodePacket(raw)
	if err != nil {
		s.log.Debug("undecodable request", "err", err)
		return nil, 0
	}
	if req.Version != gosnmp.Version1 && req.Version != gosnmp.Version2c {
		return nil, 0
	}
	dev, ok := devs[req.Community]
	if !ok || dev.Silenced() {
		return nil, 0
	}
	resp := s.respond(req, dev)
	if resp == nil {
		return nil, 0
	}
	out, err := s.marshal(req, resp, dev.Garbage())
	if err != nil {
		s.log.Warn("encode response", "err", err) // never the community: it is the secret
		return nil, 0
	}
	return out, dev.Delay()
}

// response is what a PDU handler decides, before encoding.
type response struct {
	status  gosnmp.SNMPError
	index   uint8 // 1-based varbind index of the error, 0 for none
	vbs     []gosnmp.SnmpPDU
	partial bool // a GetBulk response that may be cut short to fit
}

func (s *Server) respond(req *gosnmp.SnmpPacket, dev *Device) *response {
	v1 := req.Version == gosnmp.Version1
	switch req.PDUType {
	case gosnmp.GetRequest:
		return s.get(req.Variables, dev.view, v1)
	case gosnmp.GetNextRequest:
		return s.getNext(req.Variables, dev.view, v1)
	case gosnmp.GetBulkRequest:
		if v1 {
			return nil // not a v1 PDU
		}
		return s.getBulk(req, dev.view)
	case gosnmp.SetRequest:
		if v1 {
			return &response{status: gosnmp.NoSuchName, index: 1, vbs: req.Variables}
		}
		return &response{status: gosnmp.NotWritable, index: 1, vbs: req.Variables}
	}
	return nil
}
