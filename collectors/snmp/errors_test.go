package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/gosnmp/gosnmp"
)

func TestReason(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("poll 10.0.0.1:161: walk: %w", err) }
	refused := &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{wrap(ErrNoSuchObject), ReasonNoSuchObject},
		{wrap(&StatusError{Status: gosnmp.NoSuchName}), ReasonNoSuchObject},
		{wrap(ErrDecode), ReasonDecode},
		{wrap(gosnmp.ErrInvalidPacketLength), ReasonDecode},
		{wrap(gosnmp.ErrWrongDigest), ReasonAuth},
		{wrap(gosnmp.ErrUnknownUsername), ReasonAuth},
		{wrap(gosnmp.ErrDecryption), ReasonAuth},
		{wrap(gosnmp.ErrUnknownSecurityLevel), ReasonAuth},
		{wrap(&StatusError{Status: gosnmp.AuthorizationError}), ReasonAuth},
		{wrap(&StatusError{Status: gosnmp.NoAccess}), ReasonAuth},
		{wrap(errors.New("incoming packet is not authentic, discarding")), ReasonAuth},
		{wrap(refused), ReasonRefused},
		{wrap(context.DeadlineExceeded), ReasonTimeout},
		{wrap(os.ErrDeadlineExceeded), ReasonTimeout},
		{wrap(fmt.Errorf("request timeout (after 1 retries): %w", gosnmp.ErrMaxRetriesExceeded)), ReasonTimeout},
		{wrap(&StatusError{Status: gosnmp.GenErr}), ReasonOther},
		{wrap(ErrBadCredentials), ReasonOther},
		{wrap(context.Canceled), ReasonOther},
		{wrap(fmt.Errorf("%w: %w", context.Canceled, gosnmp.ErrMaxRetriesExceeded)), ReasonOther},
		{errors.New("something else"), ReasonOther},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := Reason(tt.err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
