package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
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
		// No ephemeral port left: Linux's EAGAIN, which Go calls a timeout.
		{wrap(localError(&net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("connect", syscall.EAGAIN)})), ReasonLocal},
		{wrap(localError(os.NewSyscallError("socket", syscall.EMFILE))), ReasonLocal},
		{wrap(localError(os.NewSyscallError("connect", syscall.ENETUNREACH))), ReasonOther}, // the network, not this host
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

// TestDialOutOfFiles checks that a poll whose socket this host cannot
// open (here: no file descriptor left) fails at once with reason local,
// which the agent logs as its own limit, not as a device that does not
// answer; and that the error says nothing was sent.
func TestDialOutOfFiles(t *testing.T) {
	var err error
	var took time.Duration
	peer.WithoutDescriptors(t, func() {
		start := time.Now()
		_, err = Dial(context.Background(), Target{Address: "127.0.0.1:9", Credentials: Credentials{Community: NewSecret("public")}, Timeout: time.Second})
		took = time.Since(start)
	})
	if !errors.Is(err, ErrLocal) || Reason(err) != ReasonLocal || took > 500*time.Millisecond {
		t.Fatalf("got %v (reason %q) after %v; want ErrLocal, reason %q, at once", err, Reason(err), took, ReasonLocal)
	}
	if got := explain(err); !strings.Contains(got, "nothing was sent") {
		t.Errorf("explained: got %q, want it to say nothing was sent", got)
	}
}
