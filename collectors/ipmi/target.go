package ipmi

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Defaults applied to a Target's zero fields.
const (
	// DefaultTimeout is the time one request waits for its answer before it
	// is sent again. Some BMCs take over 5 s to answer; a session setup
	// step sent again before the BMC's answer comes fails (the BMC keys
	// each answer to RAKP 1 apart), so the wait is longer than they take.
	DefaultTimeout = 6 * time.Second
	// DefaultRetries is how many times a request that got no answer is sent
	// again: once, for a datagram lost on the way. A BMC that does not
	// answer at all costs DefaultTimeout × 2 = 12 s per poll.
	DefaultRetries = 1
	// DefaultPort is the RMCP port.
	DefaultPort = 623
)

// CipherSuite is an RMCP+ cipher suite ID (IPMI v2.0 §22.15.2): which
// algorithms authenticate the session, check each message's integrity and
// encrypt it.
type CipherSuite uint8

// The cipher suites this package opens sessions with. The zero value means
// Suite17.
const (
	// Suite17 is RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128: the
	// default.
	Suite17 CipherSuite = 17
	// Suite3 is RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128, for BMCs that
	// lack suite 17. It is used only when asked for.
	Suite3 CipherSuite = 3
)

// ParseCipherSuite parses a cipher suite as a user writes it ("17", "3").
// Only 17 and 3 are accepted; 0 (no authentication, no integrity, no
// encryption) and every other suite are refused with ErrCipherSuite. Use it
// wherever a person chooses the suite (flags, configuration files), so that
// an explicit 0 is refused rather than taken for the zero value.
func ParseCipherSuite(s string) (CipherSuite, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a cipher suite number (want 17, or 3 for old BMCs)", ErrCipherSuite, s)
	}
	cs := CipherSuite(n)
	if err := cs.check(); err != nil {
		return 0, err
	}
	return cs, nil
}

// check refuses every suite but 17 and 3.
func (cs CipherSuite) check() error {
	switch cs {
	case Suite17, Suite3:
		return nil
	case 0:
		return fmt.Errorf("%w: suite 0 has no authentication, integrity or encryption: anyone on the network could read and command the BMC (want 17, or 3 for old BMCs)", ErrCipherSuite)
	}
	return fmt.Errorf("%w: suite %d is not supported (want 17, or 3 for old BMCs)", ErrCipherSuite, uint8(cs))
}

// orDefault returns cs, or Suite17 for the zero value.
func (cs CipherSuite) orDefault() CipherSuite {
	if cs == 0 {
		return Suite17
	}
	return cs
}

// Target is one BMC to talk to.
type Target struct {
	// Address is "host:port"; a missing port means 623.
	Address string
	// Name is what collectors.Status.Device reports; empty means Address.
	Name string
	// User is the BMC user name.
	User string
	// Password is the user's password (the RAKP key).
	Password Password
	// CipherSuite is the RMCP+ cipher suite; zero means Suite17. Set it
	// from text with ParseCipherSuite.
	CipherSuite CipherSuite
	// Timeout is the time one request waits for its answer; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times a request that got no answer is sent
	// again; negative means none, zero means DefaultRetries.
	Retries int
}

// device is the name a Status of t carries.
func (t Target) device() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Address
}

func (t Target) timeout() time.Duration {
	if t.Timeout <= 0 {
		return DefaultTimeout
	}
	return t.Timeout
}

func (t Target) retries() int {
	switch {
	case t.Retries < 0:
		return 0
	case t.Retries == 0:
		return DefaultRetries
	}
	return t.Retries
}

// RequestBudget is the longest one request to t can take when the BMC does
// not answer: Timeout × (Retries+1).
func (t Target) RequestBudget() time.Duration {
	return t.timeout() * time.Duration(t.retries()+1)
}

// splitAddress splits "host:port"; a bare host gets port 623.
func splitAddress(addr string) (string, int, error) {
	if addr == "" {
		return "", 0, fmt.Errorf("%w: empty address", ErrConfig)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, DefaultPort, nil //nolint:nilerr // no port: use the default
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("%w: bad port in address %q", ErrConfig, addr)
	}
	return host, int(port), nil
}
