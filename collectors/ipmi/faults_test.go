package ipmi

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors/ipmi/ipmitest"
)

// slack is what a loaded machine may add to a bound.
const slack = 700 * time.Millisecond

// TestBMCThatNeverAnswers: a socket that takes every datagram and answers
// none. The poll fails as a timeout after Timeout × (Retries+1), or at
// ctx's deadline if sooner, and says that the BMC did not answer.
func TestBMCThatNeverAnswers(t *testing.T) {
	addr := ipmitest.StartSilent(t)
	target := goTarget(addr)
	target.Timeout, target.Retries = 300*time.Millisecond, 1
	tests := []struct {
		name   string
		ctxFor time.Duration
		bound  time.Duration
	}{
		{"retries end it", 10 * time.Second, target.RequestBudget()},
		{"the poll's deadline ends it", 150 * time.Millisecond, 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCollector(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(t.Context(), tt.ctxFor)
			defer cancel()
			start := time.Now()
			st := c.Poll(ctx)
			took := time.Since(start)
			t.Logf("%v: %s", took, st.Err)
			if st.OK || st.Reason != ReasonTimeout {
				t.Errorf("got OK=%v reason %q (%s), want timeout", st.OK, st.Reason, st.Err)
			}
			if took > tt.bound+slack {
				t.Errorf("took %v, want at most %v", took, tt.bound)
			}
		})
	}
	t.Run("error says so", func(t *testing.T) {
		_, err := Dial(t.Context(), target)
		if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), addr) {
			t.Errorf("got %v, want ErrNoAnswer naming %s", err, addr)
		}
	})
}

// TestSlowBMC puts a relay that holds every answer back in front of
// go-ipmi's BMC, with one sensor (its SDR is read 16 bytes a request).
func TestSlowBMC(t *testing.T) {
	b := startGoBMCWith(t, []ipmitest.Sensor{sysPower})
	tests := []struct {
		name    string
		delay   time.Duration
		timeout time.Duration
		retries int
		ok      bool
	}{
		// Slower than most, but well within the timeout (a loaded machine
		// running -race has been seen to add a second): the poll works.
		{"answers within the timeout", 250 * time.Millisecond, 3 * time.Second, 1, true},
		// Later than every wait: no answer, within Timeout × (Retries+1)
		// per request.
		{"answers after every wait", 2 * time.Second, 300 * time.Millisecond, 1, false},
		// Later than one wait but before the last: answers to an earlier
		// sending are taken, but the BMC keys its answers to each RAKP 1
		// apart, so the session cannot be set up. It says so. Half a
		// second from either wait, so that a loaded machine's delays do
		// not move the answer across one.
		{"answers between the waits", 1500 * time.Millisecond, time.Second, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := goTarget(ipmitest.StartSlow(t, b.Addr, tt.delay))
			target.Timeout, target.Retries = tt.timeout, tt.retries
			c, err := NewCollector(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			st := c.Poll(t.Context())
			took := time.Since(start)
			t.Logf("%v: OK=%v %s", took, st.OK, st.Err)
			if tt.ok {
				if v, _ := findReading(st.Readings, "power_watts", "device", 0); !st.OK || v != 412 {
					t.Errorf("got OK=%v (%s), server power %v; want OK and 412", st.OK, st.Err, v)
				}
				return
			}
			if st.OK || st.Reason != ReasonTimeout {
				t.Errorf("got OK=%v reason %q (%s), want timeout", st.OK, st.Reason, st.Err)
			}
			// It fails in the session setup, before the sensors: at most
			// the capabilities request and the three handshake steps.
			if bound := 4 * target.RequestBudget(); took > bound+slack {
				t.Errorf("took %v, want at most %v", took, bound)
			}
		})
	}
}

// TestBMCOfIPMIv15 answers the capabilities request as a BMC that offers
// only IPMI v1.5 does: the dial is refused at once, before any password is
// used.
func TestBMCOfIPMIv15(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer []byte
	}{
		{"v2.0 bit clear", v15Answer(t)},
		{"rejects the v2.0 request bit", ccAnswer(t, 0xcc)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := answering(t, tt.answer)
			start := time.Now()
			_, err := Dial(t.Context(), goTarget(addr))
			if !errors.Is(err, ErrIPMIv15) || Reason(err) != ReasonProtocol {
				t.Errorf("got %v (reason %q), want ErrIPMIv15", err, Reason(err))
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v, want an immediate refusal", took)
			}
		})
	}
	t.Run("nothing listens", func(t *testing.T) {
		l, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.LocalAddr().String()
		_ = l.Close()
		if _, err := Dial(t.Context(), goTarget(addr)); Reason(err) != ReasonRefused {
			t.Errorf("got %v (reason %q), want refused", err, Reason(err))
		}
	})
}

// ccAnswer is ipmi_sim's captured capabilities answer turned into a bare
// completion code.
func ccAnswer(t *testing.T, cc byte) []byte {
	t.Helper()
	b := loadCapture(t, "ipmi_sim.txt").authcaps
	msg := append([]byte(nil), b[14:20]...) // IPMI header and command
	msg = append(msg, cc, 0)
	msg[len(msg)-1] = checksum(msg[3 : len(msg)-1])
	hdr := append([]byte(nil), b[:13]...)
	return append(append(hdr, byte(len(msg))), msg...)
}

// answering starts a UDP socket that answers every datagram with answer.
func answering(t *testing.T, answer []byte) string {
	t.Helper()
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1024)
		for {
			_, from, err := l.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = l.WriteTo(answer, from)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
	return l.LocalAddr().String()
}
