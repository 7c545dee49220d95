package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/dcplane/dcplane/collectors"
)

// The errors of this package. Test for them with errors.Is.
var (
	// ErrConfig means the Target cannot be used as it is (no address, no
	// user, no password).
	ErrConfig = errors.New("ipmi: bad target")

	// ErrCipherSuite means the cipher suite asked for is refused by this
	// package: only 17, and 3 when asked for, are used.
	ErrCipherSuite = errors.New("ipmi: cipher suite refused")

	// ErrIPMIv15 means the BMC offers only IPMI v1.5 sessions, which this
	// package refuses: their MD5 or clear-text authentication and
	// unencrypted messages are not fit for a shared network.
	ErrIPMIv15 = errors.New("ipmi: BMC offers only IPMI v1.5, which is refused")

	// ErrSuiteRejected means the BMC did not accept the cipher suite asked
	// for.
	ErrSuiteRejected = errors.New("ipmi: BMC rejected the cipher suite")

	// ErrAuth means the BMC rejected the user name or password, or the
	// privilege asked for, or proved that it does not know the password.
	ErrAuth = errors.New("ipmi: authentication failed")

	// ErrNoAnswer means the BMC did not answer a request in time, after
	// every retry.
	ErrNoAnswer = errors.New("ipmi: no answer from the BMC")

	// ErrTooSlow means the BMC answered a session setup step after it had
	// been sent again, which makes the session's keys disagree: the
	// timeout is shorter than the BMC's answer time.
	ErrTooSlow = errors.New("ipmi: BMC answers slower than the timeout")

	// ErrDecode means the BMC answered with something that cannot be
	// decoded.
	ErrDecode = errors.New("ipmi: cannot decode answer")

	// ErrLocal means this host could not open a socket to the BMC (no
	// ephemeral port, file descriptor or buffer left): nothing was sent,
	// and the BMC is not to blame. Linux says EAGAIN when no ephemeral
	// port is left, which Go takes for a timeout.
	ErrLocal = errors.New("ipmi: no socket to the BMC could be opened on this host")
)

// localErrnos are the errors of opening a socket that say this host ran
// out of something, not that the BMC or the network failed.
var localErrnos = []error{syscall.EAGAIN, syscall.EADDRNOTAVAIL, syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM}

// localError marks err, an error of opening a socket, with ErrLocal when
// it is one of localErrnos.
func localError(err error) error {
	for _, e := range localErrnos {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: %w", ErrLocal, err)
		}
	}
	return err
}

// CompletionError is an answer whose completion code is not success
// (IPMI v2.0 §5.2). For a reading it means "unknown", never zero.
type CompletionError struct {
	Command string // the request's name, e.g. "Get Sensor Reading"
	Code    uint8
}

// Error describes the completion code.
func (e *CompletionError) Error() string {
	return fmt.Sprintf("ipmi: %s: completion code %#02x (%s)", e.Command, e.Code, completionText(e.Code))
}

// completionText names the generic completion codes (§5.2, Table 5-2).
func completionText(cc uint8) string {
	switch cc {
	case 0xc0:
		return "node busy"
	case 0xc1:
		return "invalid command"
	case 0xc3:
		return "timeout while processing"
	case 0xc9:
		return "parameter out of range"
	case 0xcb:
		return "requested sensor, data or record not present"
	case 0xcc:
		return "invalid data field in request"
	case 0xd3:
		return "destination unavailable"
	case 0xd4:
		return "insufficient privilege"
	case 0xd5:
		return "command not supported in present state"
	case 0xd6:
		return "sub-function disabled or unavailable"
	}
	return "see IPMI v2.0 table 5-2"
}

// unsupported reports whether cc says the BMC does not implement a command
// at all (rather than failing it this once): invalid command, or invalid
// for this LUN, or not supported in the present state.
func unsupported(cc uint8) bool { return cc == 0xc1 || cc == 0xc2 || cc == 0xd5 }

// ccInsufficientPrivilege is the completion code of a command the session's
// privilege does not allow.
const ccInsufficientPrivilege = 0xd4

// The reasons Reason returns: short, low-cardinality causes of a failed poll,
// fit for a metric label.
const (
	ReasonTimeout  = "timeout"              // no answer in time
	ReasonRefused  = "refused"              // ICMP port unreachable: nothing listens there
	ReasonAuth     = "auth"                 // user, password or privilege rejected
	ReasonProtocol = "protocol"             // cipher suite rejected or refused, or the BMC offers only IPMI v1.5
	ReasonDecode   = "decode"               // an answer we could not decode
	ReasonConfig   = "config"               // the target cannot be used as configured
	ReasonLocal    = collectors.ReasonLocal // this host could not open a socket: the agent's limits, not the BMC
	ReasonOther    = "other"                // anything else, including a poll cancelled by its caller
)

// Reasons lists every value Reason returns but "", so that a metric
// labelled by reason can start each at 0.
func Reasons() []string {
	return []string{ReasonTimeout, ReasonRefused, ReasonAuth, ReasonProtocol, ReasonDecode, ReasonConfig, ReasonLocal, ReasonOther}
}

// Reason classifies err into one of the Reason* constants, for
// collectors.Status.Reason and metric labels. It returns "" for a nil error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrLocal): // before the timeouts: EAGAIN is one to Go
		return ReasonLocal
	case errors.Is(err, ErrTooSlow):
		return ReasonTimeout
	case errors.Is(err, ErrAuth):
		return ReasonAuth
	case errors.Is(err, ErrCipherSuite), errors.Is(err, ErrIPMIv15), errors.Is(err, ErrSuiteRejected):
		return ReasonProtocol
	case errors.Is(err, ErrConfig), errors.Is(err, ErrNoPassword):
		return ReasonConfig
	case errors.Is(err, ErrDecode):
		return ReasonDecode
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, context.Canceled):
		return ReasonOther
	case isTimeout(err):
		return ReasonTimeout
	}
	return ReasonOther
}

func isTimeout(err error) bool {
	if errors.Is(err, ErrNoAnswer) || errors.Is(err, ErrTooSlow) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
