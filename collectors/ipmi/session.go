package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/types"
)

// BMC is the conversation with one BMC that the Collector holds. Each method
// sends one kind of request and returns the answer's data (what follows the
// completion code) undecoded; the parsers decode it. An answer whose
// completion code is not success is a *CompletionError. *Session implements
// BMC; tests replay captured answers.
type BMC interface {
	// DeviceID sends Get Device ID (IPMI v2.0 §20.1).
	DeviceID(ctx context.Context) ([]byte, error)
	// PowerReading sends DCMI Get Power Reading in the system power
	// statistics mode (DCMI v1.5 §6.6.1).
	PowerReading(ctx context.Context) ([]byte, error)
	// SDR returns every record of the SDR repository (§33.12), in the
	// repository's order; an empty repository gives none.
	SDR(ctx context.Context) ([][]byte, error)
	// SensorReading sends Get Sensor Reading for sensor number n, owned by
	// the BMC on LUN 0 (§35.14).
	SensorReading(ctx context.Context, n uint8) ([]byte, error)
	// Close ends the session; ctx bounds the time spent telling the BMC.
	Close(ctx context.Context) error
}

// Session is an IPMI v2.0 RMCP+ session with one BMC, on go-ipmi's client.
// It is not safe for concurrent use: the Collector serialises its polls.
type Session struct {
	c         *client.Client
	tap       *tap
	addr      string
	timeout   time.Duration
	closeOnce sync.Once
}

var _ BMC = (*Session)(nil)

// IPMI commands the Session sends, by NetFn and command number.
const (
	netFnApp       = types.NetFnAppRequest
	netFnSensor    = types.NetFnSensorEventRequest
	netFnGroupExt  = types.NetFnGroupExtensionRequest
	cmdGetDeviceID = 0x01
	cmdGetReading  = 0x2d
	cmdDCMIPower   = 0x02
	dcmiGroupID    = 0xdc
	maxSDRRecords  = 4096 // a repository longer than this is taken to loop
)

// Dial opens an RMCP+ session with t's BMC: it asks the BMC's
// authentication capabilities (refusing one that offers only IPMI v1.5),
// then runs the RAKP handshake with t's cipher suite and sets the session's
// privilege to User. ctx bounds the whole exchange; each request also
// waits at most t.Timeout, t.Retries+1 times.
func Dial(ctx context.Context, t Target) (*Session, error) {
	host, port, err := t.validate()
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.Address, err)
	}
	if err := checkV20(ctx, host, port, t); err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.Address, err)
	}
	c, err := client.NewClient(host, port, t.User, t.Password.Reveal())
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w: %w", t.Address, ErrConfig, err)
	}
	tp := &tap{}
	c.WithTimeout(t.timeout()).WithRetry(t.retries()).WithUDPProxy(tp).
		WithCipherSuiteID(types.CipherSuiteID(t.CipherSuite.orDefault())).
		WithMaxPrivilegeLevel(types.PrivilegeLevelUser)
	s := &Session{c: c, tap: tp, addr: t.Address, timeout: t.timeout()}
	if err := s.open(ctx); err != nil {
		s.abandon()
		return nil, fmt.Errorf("dial %s: cipher suite %d: %w", t.Address, t.CipherSuite.orDefault(), err)
	}
	return s, nil
}

// validate checks what Dial needs of t and returns its host and port.
func (t Target) validate() (string, int, error) {
	if err := t.CipherSuite.orDefault().check(); err != nil {
		return "", 0, err
	}
	if t.User == "" {
		return "", 0, fmt.Errorf("%w: no user", ErrConfig)
	}
	if t.Password.IsZero() {
		return "", 0, fmt.Errorf("%w: no password", ErrConfig)
	}
	return splitAddress(t.Address)
}

// open runs the session setup of IPMI v2.0 §13.15 (Open Session, RAKP 1–4,
// Set Session Privilege Level) step by step. go-ipmi's Connect does the
// same, but it flattens the steps' errors into text, so that a wrong
// password could not be told from a rejected cipher suite, and it starts a
// keep-alive goroutine that would share the session with the polls;
// the Collector reopens idle sessions instead.
func (s *Session) open(ctx context.Context) error {
	if _, err := s.c.OpenSession(ctx); err != nil {
		return fmt.Errorf("open session: %w", s.setupError(ctx, err))
	}
	if _, err := s.c.RAKPMessage1(ctx); err != nil {
		return fmt.Errorf("RAKP 1: %w", s.setupError(ctx, err))
	}
	if _, err := s.c.RAKPMessage3(ctx); err != nil {
		err = s.setupError(ctx, err)
		if errors.Is(err, ErrAuth) && s.tap.sentAgain(types.PayloadTypeRAKPMessage1) {
			// The BMC draws a new random number for each RAKP 1 it
			// gets; the answer taken was not to the last sending.
			err = fmt.Errorf("%w: RAKP 1 was sent again before the BMC answered it, and the BMC keyed its answers apart (raise the timeout above the BMC's answer time, now %v): %w", ErrTooSlow, s.timeout, err)
		}
		return fmt.Errorf("RAKP 3: %w", err)
	}
	if _, err := s.c.SetSessionPrivilegeLevel(ctx, types.PrivilegeLevelUser); err != nil {
		err = classify(ctx, err)
		var ce *CompletionError
		if errors.As(err, &ce) {
			err = fmt.Errorf("%w: privilege User refused: %w", ErrAuth, err)
		}
		return fmt.Errorf("set session privilege: %w", err)
	}
	return nil
}

// setupError classifies an error of the handshake. A BMC that refuses a
// step may answer with the message tag and status code alone, which go-ipmi
// fails to unpack before it reads the status; the status is then read from
// the answer itself.
func (s *Session) setupError(ctx context.Context, err error) error {
	err = classify(ctx, err)
	var se *types.RmcpStatusError
	if errors.As(err, &se) || errors.Is(err, ErrNoAnswer) || ctx.Err() != nil {
		return err
	}
	if code, ok := setupStatus(s.tap.last()); ok && code != types.RmcpStatusCodeNoErrors {
		return fmt.Errorf("%w: %w", rmcpStatusClass(code), types.NewRmcpStatusError(code))
	}
	return err
}

// classify turns go-ipmi's errors into this package's: completion codes,
// RMCP+ status codes of the handshake, timeouts.
func classify(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if re, ok := types.IsResponseError(err); ok {
		if re.CompletionCode() == types.CodeOK {
			return fmt.Errorf("%w: %w", ErrDecode, err) // go-ipmi's way of saying it could not unpack
		}
		return &CompletionError{Command: "", Code: uint8(re.CompletionCode())}
	}
	var se *types.RmcpStatusError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", rmcpStatusClass(se.StatusCode()), err)
	}
	if errors.Is(err, client.ErrRAKPAuthentication) {
		// The BMC's RAKP 2 or 4 was not keyed with our password: the
		// password differs, or (BMCs that do not say which) the user is
		// unknown.
		return fmt.Errorf("%w: wrong password or unknown user: %w", ErrAuth, err)
	}
	if noAnswer(err) {
		return fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	return err
}

// rmcpStatusClass sorts the RMCP+ status codes a BMC answers the handshake
// with (IPMI v2.0 §13.24, Table 13-15).
func rmcpStatusClass(code types.RmcpStatusCode) error {
	switch code {
	case types.RmcpStatusCodeInvalidAuthAlg, types.RmcpStatusCodeInvalidIntegrityAlg,
		types.RmcpStatusCodeNoMatchingAuthPayload, types.RmcpStatusCodeNoMatchingIntegrityPayload,
		types.RmcpStatusCodeInvalidConfidentAlg, types.RmcpStatusCodeNoCipherSuiteMatch:
		return ErrSuiteRejected
	case types.RmcpStatusCodeInvalidRole, types.RmcpStatusCodeUnauthorizedRoleOfPriLevel,
		types.RmcpStatusCodeInvalidNameLength, types.RmcpStatusCodeUnauthorizedName,
		types.RmcpStatusCodeUnauthorizedGUID, types.RmcpStatusCodeInvalidIntegrityCheckValue:
		return ErrAuth
	}
	return errors.New("ipmi: session setup refused")
}

// noAnswer reports whether err is go-ipmi's way of saying that no answer
// came: a read deadline passed, or no datagram matched the request before
// it (go-ipmi's error for that is unexported; its text is all there is).
func noAnswer(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "no datagram matched")
}

// DeviceID implements BMC.
func (s *Session) DeviceID(ctx context.Context) ([]byte, error) {
	return s.raw(ctx, netFnApp, cmdGetDeviceID, nil, "Get Device ID")
}

// PowerReading implements BMC.
func (s *Session) PowerReading(ctx context.Context) ([]byte, error) {
	// Mode 01h: system power statistics; no rolling-average time period.
	return s.raw(ctx, netFnGroupExt, cmdDCMIPower, []byte{dcmiGroupID, 0x01, 0x00, 0x00}, "Get DCMI Power Reading")
}

// SensorReading implements BMC.
func (s *Session) SensorReading(ctx context.Context, n uint8) ([]byte, error) {
	return s.raw(ctx, netFnSensor, cmdGetReading, []byte{n}, "Get Sensor Reading "+hexByte(n))
}

// SDR implements BMC. It follows the records' next-record IDs from the
// first (0000h) to the end (FFFFh).
func (s *Session) SDR(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	seen := map[uint16]bool{}
	for id := uint16(0); id != 0xffff; {
		if seen[id] || len(out) >= maxSDRRecords {
			return nil, fmt.Errorf("SDR %s: %w: record %#04x comes again", s.addr, ErrDecode, id)
		}
		seen[id] = true
		res, err := s.c.GetSDR(ctx, id)
		if err != nil {
			err = named(classify(ctx, err), "Get SDR")
			var ce *CompletionError
			if id == 0 && errors.As(err, &ce) && ce.Code == 0xcb {
				return nil, nil // an empty repository has no first record
			}
			return nil, fmt.Errorf("SDR %s: record %#04x: %w", s.addr, id, err)
		}
		out = append(out, res.RecordData)
		id = res.NextRecordID
	}
	return out, nil
}

// raw sends one request and returns the answer's data.
func (s *Session) raw(ctx context.Context, netFn types.NetFn, cmd uint8, data []byte, name string) ([]byte, error) {
	res, err := s.c.RawCommand(ctx, netFn, cmd, data, name)
	if err != nil {
		err = named(classify(ctx, err), name)
		var ce *CompletionError
		if errors.As(err, &ce) {
			return nil, err // an answer, which names its command
		}
		return nil, fmt.Errorf("%s %s: %w", name, s.addr, err)
	}
	return res.Response, nil
}

// named puts the command's name in a CompletionError.
func named(err error, name string) error {
	var ce *CompletionError
	if errors.As(err, &ce) && ce.Command == "" {
		ce.Command = name
	}
	return err
}

// Close implements BMC: it sends Close Session, and closes the socket
// whether or not the BMC answers. Closing twice does nothing.
func (s *Session) Close(ctx context.Context) error {
	err := error(nil)
	s.closeOnce.Do(func() {
		if e := s.c.Close(ctx); e != nil && ctx.Err() == nil {
			err = fmt.Errorf("close %s: %w", s.addr, e)
		}
	})
	return err
}

// tap is the socket go-ipmi's client uses (given to it as a proxy dialer).
// It keeps the last datagram received, for setupError; and while a session
// is being set up it lets through only the answer to the step in progress.
// go-ipmi takes the first datagram that arrives as the answer to a setup
// step, so that a slow BMC's late answer to an earlier sending of the
// previous step (sent again after a timeout) would be taken for the answer
// to this one.
type tap struct {
	mu     sync.Mutex
	recv   []byte
	expect byte         // RMCP+ payload type of the awaited setup answer; 0: any
	sent   map[byte]int // setup requests sent, by payload type
}

// Dial implements go-ipmi's proxy.Dialer with a plain UDP socket.
func (t *tap) Dial(network, addr string) (net.Conn, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return nil, localError(err)
	}
	return &tapConn{Conn: c, tap: t}, nil
}

// sentAgain reports whether the setup request of payload type typ was sent
// more than once.
func (t *tap) sentAgain(typ types.PayloadType) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent[byte(typ)] > 1
}

func (t *tap) last() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.recv
}

type tapConn struct {
	net.Conn
	tap *tap
}

// Write notes which setup answer the datagram calls for.
func (c *tapConn) Write(b []byte) (int, error) {
	c.tap.mu.Lock()
	c.tap.expect = setupAnswerType(b)
	if c.tap.expect != 0 {
		if c.tap.sent == nil {
			c.tap.sent = map[byte]int{}
		}
		c.tap.sent[c.tap.expect-1]++
	}
	c.tap.mu.Unlock()
	return c.Conn.Write(b)
}

// Read returns the next datagram, skipping those that are not the awaited
// setup answer.
func (c *tapConn) Read(b []byte) (int, error) {
	for {
		n, err := c.Conn.Read(b)
		if n == 0 || err != nil {
			return n, err
		}
		c.tap.mu.Lock()
		expect := c.tap.expect
		ok := expect == 0 || rmcpPlusPayloadType(b[:n]) == expect
		if ok {
			c.tap.recv = append(c.tap.recv[:0], b[:n]...)
		}
		c.tap.mu.Unlock()
		if ok {
			return n, nil
		}
	}
}

// abandon closes the socket without a word to the BMC: go-ipmi sends
// nothing on a context that is already done, and closes the socket anyway.
func (s *Session) abandon() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Close(ctx)
}

func hexByte(b uint8) string { return strconv.FormatUint(uint64(b), 16) + "h" }

// checkV20 asks the BMC's authentication capabilities in an IPMI v1.5
// frame, as §13.15 says a console starts, and refuses a BMC that does not
// offer IPMI v2.0. go-ipmi's own handshake does not look at the answer; a
// v1.5-only BMC would then fail later with a timeout that says nothing.
func checkV20(ctx context.Context, host string, port int, t Target) error {
	conn, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return localError(err)
	}
	defer conn.Close()
	answer, err := exchangeUDP(ctx, conn, authCapabilitiesRequest(), t.timeout(), t.retries()+1)
	if err != nil {
		return fmt.Errorf("get channel authentication capabilities: %w", err)
	}
	caps, err := parseAuthCapabilities(answer)
	var ce *CompletionError
	switch {
	case errors.As(err, &ce) && ce.Code == 0xcc:
		// A v1.5 BMC refuses the request's "IPMI v2.0 data" bit (§22.13).
		return fmt.Errorf("%w (it rejects the request for IPMI v2.0 capabilities)", ErrIPMIv15)
	case err != nil:
		return fmt.Errorf("get channel authentication capabilities: %w", err)
	case !caps.v20:
		return ErrIPMIv15
	}
	return nil
}

// exchangeUDP sends req and waits for one answer, timeout at a time,
// sending again up to attempts times in all. An answer to an earlier
// sending counts. ctx ends the wait at once.
func exchangeUDP(ctx context.Context, conn net.Conn, req []byte, timeout time.Duration, attempts int) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 1024)
	for i := 0; i < attempts; i++ {
		if _, err := conn.Write(req); err != nil {
			return nil, withCtx(ctx, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
		n, err := conn.Read(buf)
		if err == nil {
			return buf[:n], nil
		}
		if ctx.Err() != nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, withCtx(ctx, err)
		}
	}
	return nil, fmt.Errorf("%w: %d × %s", ErrNoAnswer, attempts, timeout)
}

func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}
