package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// The errors of this package. Test for them with errors.Is.
var (
	// ErrNoSuchObject means the device does not have what the profile reads
	// (for APC rPDU2: no row of the device status table for the module).
	ErrNoSuchObject = errors.New("snmp: no such object")

	// ErrDecode means the device answered with something the profile cannot
	// use: a required object of the wrong ASN.1 type, or rows that contradict
	// each other. The poll fails so that the device's readings become unknown.
	ErrDecode = errors.New("snmp: cannot decode answer")

	// ErrUnknownProfile means no profile has the name asked for.
	ErrUnknownProfile = errors.New("snmp: unknown profile")

	// ErrBadCredentials means the Target's credentials are incomplete or
	// inconsistent (no community, no user, an unknown protocol…).
	ErrBadCredentials = errors.New("snmp: bad credentials")

	// ErrLocal means this host could not open a socket to the device (no
	// ephemeral port, file descriptor or buffer left): nothing was sent,
	// and the device is not to blame. Linux says EAGAIN when no ephemeral
	// port is left, which Go takes for a timeout.
	ErrLocal = errors.New("snmp: no socket to the device could be opened on this host")
)

// localErrnos are the errors of opening a socket that say this host ran
// out of something, not that the device or the network failed.
var localErrnos = []error{syscall.EAGAIN, syscall.EADDRNOTAVAIL, syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM}

// localError marks err, an error of opening a socket, with ErrLocal when
// it is one of localErrnos.
func localError(err error) error {
	if isAny(err, localErrnos) {
		return fmt.Errorf("%w: %w", ErrLocal, err)
	}
	return err
}

// The reasons Reason returns: short, low-cardinality causes of a failed poll,
// fit for a metric label.
const (
	ReasonTimeout      = "timeout"              // no answer in time (also: wrong v2c community, which agents ignore)
	ReasonRefused      = "refused"              // ICMP port unreachable: nothing listens there
	ReasonAuth         = "auth"                 // SNMPv3 USM rejected us, or access denied
	ReasonDecode       = "decode"               // an answer we could not decode or use
	ReasonNoSuchObject = "nosuchobject"         // the device lacks what the profile reads
	ReasonLocal        = collectors.ReasonLocal // this host could not open a socket: the agent's limits, not the device
	ReasonOther        = "other"                // anything else, including a poll cancelled by its caller
)

// Reasons lists every value Reason returns but "", so that a metric
// labelled by reason can start each at 0.
func Reasons() []string {
	return []string{ReasonTimeout, ReasonRefused, ReasonAuth, ReasonDecode, ReasonNoSuchObject, ReasonLocal, ReasonOther}
}

// StatusError is a response whose error-status is not noError.
type StatusError struct {
	Status gosnmp.SNMPError
}

// Error describes the error-status.
func (e *StatusError) Error() string { return fmt.Sprintf("snmp: error-status %s", e.Status) }

// authErrors are gosnmp's USM failures (RFC 3414 report PDUs).
var authErrors = []error{
	gosnmp.ErrWrongDigest, gosnmp.ErrUnknownUsername, gosnmp.ErrDecryption,
	gosnmp.ErrUnknownSecurityLevel, gosnmp.ErrNotInTimeWindow,
	gosnmp.ErrUnknownEngineID, gosnmp.ErrUnknownSecurityModels,
}

// decodeErrors are gosnmp's failures to decode a packet.
var decodeErrors = []error{
	gosnmp.ErrInvalidPacketLength, gosnmp.ErrInvalidOidLength, gosnmp.ErrZeroByteBuffer,
	gosnmp.ErrZeroLenInteger, gosnmp.ErrIntegerTooLarge, gosnmp.ErrFloatBufferTooShort,
	gosnmp.ErrFloatTooLarge, gosnmp.ErrInvalidMsgs, gosnmp.ErrUnknownReportPDU,
}

// Reason classifies err into one of the Reason* constants, for
// collectors.Status.Reason and metric labels. It returns "" for a nil error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoSuchObject), errors.Is(err, ErrNoProfile):
		return ReasonNoSuchObject
	case errors.Is(err, ErrDecode), isAny(err, decodeErrors):
		return ReasonDecode
	case isAuth(err):
		return ReasonAuth
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, context.Canceled):
		return ReasonOther
	case errors.Is(err, ErrLocal): // before the timeouts: EAGAIN is one to Go
		return ReasonLocal
	case isTimeout(err):
		return ReasonTimeout
	}
	var se *StatusError
	if errors.As(err, &se) && se.Status == gosnmp.NoSuchName {
		return ReasonNoSuchObject
	}
	return ReasonOther
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func isAuth(err error) bool {
	if isAny(err, authErrors) {
		return true
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == gosnmp.AuthorizationError || se.Status == gosnmp.NoAccess
	}
	// gosnmp reports a response that fails its HMAC check with an
	// unexported error; its text is all there is to go by.
	return strings.Contains(err.Error(), "not authentic")
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, gosnmp.ErrMaxRetriesExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// explain puts in front of err what happened, in the words an operator acts
// on: whether the device answered at all, and if it did, what was wrong
// with its answer. A device that answered is reachable and its credentials
// work: looking at the address or the network would be a wrong lead.
func explain(err error) string {
	var what string
	var se *StatusError
	switch Reason(err) {
	case ReasonDecode:
		what = "the device answered, but its answer cannot be used"
	case ReasonNoSuchObject:
		what = "the device answered, but lacks what its profile reads"
	case ReasonAuth:
		what = "the device answered, but refused the credentials"
	case ReasonTimeout:
		what = "no answer in time (an SNMPv2c device also ignores a wrong community)"
	case ReasonRefused:
		what = "nothing listens for SNMP at the address (port unreachable)"
	case ReasonLocal:
		what = "this host could not open a socket to the device (its ports or file descriptors ran out): nothing was sent"
	default:
		if !errors.As(err, &se) {
			return err.Error()
		}
		what = fmt.Sprintf("the device answered, but with error-status %s", se.Status)
	}
	return what + ": " + err.Error()
}
