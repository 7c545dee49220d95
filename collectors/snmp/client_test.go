package snmp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// silentAgent listens on a UDP port of 127.0.0.1 and never answers. Each
// datagram it receives is signalled on got. Its goroutine ends when the
// test's cleanup closes the socket.
func silentAgent(t *testing.T) (addr string, got <-chan struct{}) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := conn.ReadFrom(buf); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return conn.LocalAddr().String(), ch
}

func v2c(addr string, timeout time.Duration, retries int) Target {
	return Target{Address: addr, Timeout: timeout, Retries: retries, Credentials: Credentials{Community: NewSecret("public")}}
}

func TestSessionErrors(t *testing.T) {
	silent, _ := silentAgent(t)
	tests := []struct {
		name       string
		target     Target
		wantReason string
		maxTime    time.Duration
	}{
		// Nothing listens: the kernel's ICMP port unreachable ends it at once.
		{name: "refused", target: v2c(freeUDPAddr(t), time.Second, 2), wantReason: ReasonRefused, maxTime: 500 * time.Millisecond},
		// Timeout × (Retries+1) = 300 ms, then the error.
		{name: "timeout", target: v2c(silent, 100*time.Millisecond, 2), wantReason: ReasonTimeout, maxTime: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Dial(t.Context(), tt.target)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			_, err = s.BulkWalkAll(t.Context(), "1.3.6.1.4.1.318.1.1.26.4.3.1")
			if got := Reason(err); got != tt.wantReason {
				t.Errorf("reason: got %q (%v), want %q", got, err, tt.wantReason)
			}
			if elapsed := time.Since(start); elapsed > tt.maxTime {
				t.Errorf("took %v, want at most %v", elapsed, tt.maxTime)
			}
		})
	}
}

// TestSessionCancel shows that cancelling the context ends a request that
// waits for an answer at once, not at its 10 s timeout.
func TestSessionCancel(t *testing.T) {
	addr, received := silentAgent(t)
	s, err := Dial(t.Context(), v2c(addr, 10*time.Second, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-received: // the request is on its way: cancel while it waits
		case <-ctx.Done():
		}
		cancel()
	}()
	start := time.Now()
	_, err = s.Get(ctx, []string{sysDescr})
	if elapsed := time.Since(start); !errors.Is(err, context.Canceled) || elapsed > 2*time.Second {
		t.Errorf("got %v after %v, want %v well before the 10 s timeout", err, elapsed, context.Canceled)
	}
	// The session still works with a fresh context: its deadline, not the
	// cancelled one, ends the next request.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel2()
	_, err = s.Get(ctx2, []string{sysDescr})
	if !errors.Is(err, context.DeadlineExceeded) || Reason(err) != ReasonTimeout {
		t.Errorf("second Get: got %v (reason %q), want %v, reason %q", err, Reason(err), context.DeadlineExceeded, ReasonTimeout)
	}
}

func TestDialBadTarget(t *testing.T) {
	for _, target := range []Target{
		{Address: "127.0.0.1:161"}, // no credentials
		{Address: "127.0.0.1:99999", Credentials: Credentials{Community: NewSecret("public")}},
	} {
		if s, err := Dial(t.Context(), target); err == nil {
			_ = s.Close()
			t.Errorf("Dial(%+v): got nil error, want one", target)
		}
	}
}
