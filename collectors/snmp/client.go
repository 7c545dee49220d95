package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Defaults applied to a Target's zero fields.
const (
	// DefaultTimeout is the time one request waits for its answer.
	DefaultTimeout = 2 * time.Second
	// DefaultMaxRepetitions is the GETBULK max-repetitions of a table walk:
	// snmp_exporter's default, small enough for the modest buffers of PDU
	// management cards.
	DefaultMaxRepetitions = 25
	defaultPort           = 161
)

// Client is the part of an SNMP session that profiles and the Collector use.
// *Session implements it; tests use fakes.
type Client interface {
	// Get fetches oids in one GET request. Objects the device lacks come
	// back as varbinds of type NoSuchObject or NoSuchInstance, not as errors.
	Get(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error)
	// BulkWalkAll returns every varbind in the subtree under root, walked
	// with GETBULK. An absent subtree yields no varbinds and no error.
	BulkWalkAll(ctx context.Context, root string) ([]gosnmp.SnmpPDU, error)
	// Close ends the session.
	Close() error
}

// Target is one SNMP agent to talk to.
type Target struct {
	// Address is "host:port"; a missing port means 161.
	Address string
	// Name is what collectors.Status.Device reports; empty means Address.
	Name string
	// Timeout is the time one request waits; zero means DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times a request that got no answer is sent again.
	Retries int
	// MaxRepetitions is the GETBULK max-repetitions of table walks; zero
	// means DefaultMaxRepetitions.
	MaxRepetitions uint32
	// Module selects one unit of a daisy-chained group that answers at one
	// address (APC Network Port Sharing: host and up to three guests). Zero
	// means the host: the lowest module number the device reports.
	Module int
	// Credentials say how to authenticate.
	Credentials Credentials
}

// device is the name a Status of t carries.
func (t Target) device() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Address
}

// Session is an SNMP session with one agent over UDP. It is not safe for
// concurrent use: a Collector lends it to one poll at a time and keeps it
// between polls (see Collector), so that an SNMPv3 agent's engine is
// discovered once, not on every poll.
type Session struct {
	g    *gosnmp.GoSNMP
	addr string
}

var _ Client = (*Session)(nil)

// Dial opens a session with t's agent. Over UDP nothing is sent yet: an
// agent that is down shows itself on the first request.
func Dial(ctx context.Context, t Target) (*Session, error) {
	g, err := newGoSNMP(t)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.Address, err)
	}
	g.Context = ctx
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.Address, localError(err))
	}
	g.Context = context.Background()
	if t.Credentials.USM == nil {
		g.Conn = lenientConn{g.Conn}
	}
	return &Session{g: g, addr: t.Address}, nil
}

// newGoSNMP builds gosnmp's configuration for t.
func newGoSNMP(t Target) (*gosnmp.GoSNMP, error) {
	host, port, err := splitAddress(t.Address)
	if err != nil {
		return nil, err
	}
	g := &gosnmp.GoSNMP{
		Target:         host,
		Port:           port,
		Transport:      "udp",
		Timeout:        t.Timeout,
		Retries:        t.Retries,
		MaxRepetitions: t.MaxRepetitions,
		MaxOids:        gosnmp.MaxOids,
	}
	if g.Timeout <= 0 {
		g.Timeout = DefaultTimeout
	}
	if g.MaxRepetitions == 0 {
		g.MaxRepetitions = DefaultMaxRepetitions
	}
	if err := t.Credentials.apply(g); err != nil {
		return nil, err
	}
	return g, nil
}

// splitAddress splits "host:port"; a bare host gets port 161.
func splitAddress(addr string) (string, uint16, error) {
	if addr == "" {
		return "", 0, fmt.Errorf("empty address")
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, defaultPort, nil //nolint:nilerr // no port: use the default
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("bad port in address %q", addr)
	}
	return host, uint16(port), nil
}

// Get implements Client.
func (s *Session) Get(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	defer s.bind(ctx)()
	pkt, err := s.g.Get(oids)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", s.addr, withCause(ctx, err))
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("get %s: %w", s.addr, &StatusError{Status: pkt.Error})
	}
	return pkt.Variables, nil
}

// BulkWalkAll implements Client.
func (s *Session) BulkWalkAll(ctx context.Context, root string) ([]gosnmp.SnmpPDU, error) {
	defer s.bind(ctx)()
	pdus, err := s.g.BulkWalkAll(root)
	if err != nil {
		return nil, fmt.Errorf("walk %s %s: %w", s.addr, root, withCause(ctx, err))
	}
	return pdus, nil
}

// GetBulk sends one GETBULK request of oids, every one a repeater, and
// returns the answer's varbinds: the step of the Collector's column walks.
func (s *Session) GetBulk(ctx context.Context, oids []string, maxRepetitions uint32) ([]gosnmp.SnmpPDU, error) {
	defer s.bind(ctx)()
	pkt, err := s.g.GetBulk(oids, 0, maxRepetitions)
	if err != nil {
		return nil, fmt.Errorf("getbulk %s %s: %w", s.addr, oids[0], withCause(ctx, err))
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("getbulk %s %s: %w", s.addr, oids[0], &StatusError{Status: pkt.Error})
	}
	return pkt.Variables, nil
}

// GetNext sends one GETNEXT request of oids and returns the answer's
// varbinds, one for each: the step of a column walk on an agent that does
// not answer GETBULK.
func (s *Session) GetNext(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	defer s.bind(ctx)()
	pkt, err := s.g.GetNext(oids)
	if err != nil {
		return nil, fmt.Errorf("getnext %s %s: %w", s.addr, oids[0], withCause(ctx, err))
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("getnext %s %s: %w", s.addr, oids[0], &StatusError{Status: pkt.Error})
	}
	return pkt.Variables, nil
}

// configure sets the per-request settings of t on a session that is kept
// between polls, whose target may have been given other ones since.
func (s *Session) configure(t Target) {
	s.g.Timeout = t.Timeout
	if s.g.Timeout <= 0 {
		s.g.Timeout = DefaultTimeout
	}
	s.g.Retries = t.Retries
	s.g.MaxRepetitions = t.MaxRepetitions
	if s.g.MaxRepetitions == 0 {
		s.g.MaxRepetitions = DefaultMaxRepetitions
	}
}

// Close implements Client.
func (s *Session) Close() error {
	if err := s.g.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.addr, err)
	}
	return nil
}

// withCause puts ctx's error in front of err when ctx ended the request:
// gosnmp then reports only the timeout that the cancellation caused.
func withCause(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil || errors.Is(err, cerr) {
		return err
	}
	return fmt.Errorf("%w: %w", cerr, err)
}

// bind makes the next request obey ctx and returns the function that undoes
// it. gosnmp checks its Context between requests and caps each request's
// deadline with ctx's; a cancellation while a request waits for its answer
// is passed on by moving the socket's deadline to now, so the request ends
// at once rather than at its timeout. gosnmp keeps the context in a field;
// it is set only for the duration of one call.
func (s *Session) bind(ctx context.Context) func() {
	s.g.Context = ctx
	conn := s.g.Conn
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		if conn != nil {
			_ = conn.SetDeadline(time.Now())
		}
	})
	return func() {
		// A cancellation that cut the request left the connection's
		// deadlines in the past: gosnmp sets a read deadline for each
		// request but never a write one, so a session kept for the next
		// poll would fail every request it sends. Clear them once the
		// cancellation is done with them.
		if !stop() {
			<-fired
			if conn != nil {
				_ = conn.SetDeadline(time.Time{})
			}
		}
		s.g.Context = context.Background()
	}
}
