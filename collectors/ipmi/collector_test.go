package ipmi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// fleet dials replays of one capture and keeps them, for tests of the
// session's life.
type fleet struct {
	t    *testing.T
	name string
	fail error // when set, sensor readings fail with it

	mu       sync.Mutex
	sessions []*replay
	dialErr  error
}

func (f *fleet) dial(context.Context, Target) (BMC, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dialErr != nil {
		return nil, f.dialErr
	}
	r := newReplay(f.t, loadCapture(f.t, f.name))
	f.sessions = append(f.sessions, r)
	if f.fail != nil {
		return &failing{replay: r, err: f.fail}, nil
	}
	return r, nil
}

func (f *fleet) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

// failing is a replay whose sensor readings fail.
type failing struct {
	*replay
	err error
}

func (f *failing) SensorReading(context.Context, uint8) ([]byte, error) { return nil, f.err }

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newFleetCollector(t *testing.T, f *fleet, now func() time.Time) *Collector {
	t.Helper()
	c, err := NewCollectorWith(goTarget("bmc.test"), nil, f.dial, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSessionKeptAcrossPolls(t *testing.T) {
	f := &fleet{t: t, name: "goipmi_dcmi.txt"}
	c := newFleetCollector(t, f, nil)
	if c.SessionOpen() {
		t.Errorf("session open before the first poll")
	}
	for i := range 3 {
		if st := c.Poll(t.Context()); !st.OK || len(st.Readings) == 0 {
			t.Fatalf("poll %d: OK=%v %s, %d readings", i, st.OK, st.Err, len(st.Readings))
		}
		if !c.SessionOpen() {
			t.Errorf("poll %d: no session open after it", i)
		}
	}
	if f.count() != 1 || c.SessionsOpened() != 1 {
		t.Fatalf("sessions: got %d (the collector says %d), want 1", f.count(), c.SessionsOpened())
	}
	r := f.sessions[0]
	if r.times("sdr") != 1 || r.times("dcmi") != 3 {
		t.Errorf("SDR read %d times, DCMI %d times in 3 polls; want 1 and 3", r.times("sdr"), r.times("dcmi"))
	}
	if err := c.Close(); err != nil || !r.closed {
		t.Errorf("Close: %v, session closed %v; want it closed", err, r.closed)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if st := c.Poll(t.Context()); st.OK || !strings.Contains(st.Err, ErrClosed.Error()) {
		t.Errorf("poll after Close: got OK=%v %q, want %v", st.OK, st.Err, ErrClosed)
	}
}

// TestSessionDroppedOnFailure: a poll that gets no answer fails as a whole
// (no half readings) and ends the session; the next poll opens another. A
// completion code is an unknown value, not a failed poll.
func TestSessionDroppedOnFailure(t *testing.T) {
	f := &fleet{t: t, name: "goipmi_dcmi.txt", fail: fmt.Errorf("Get Sensor Reading: %w", ErrNoAnswer)}
	c := newFleetCollector(t, f, nil)
	st := c.Poll(t.Context())
	if st.OK || st.Reason != ReasonTimeout || len(st.Readings) != 0 {
		t.Errorf("got OK=%v reason %q, %d readings; want a timeout and none", st.OK, st.Reason, len(st.Readings))
	}
	if !f.sessions[0].closed || c.SessionOpen() {
		t.Errorf("the failed session was not closed (closed %v, collector's open %v)", f.sessions[0].closed, c.SessionOpen())
	}
	f.fail = nil
	if st := c.Poll(t.Context()); !st.OK {
		t.Fatalf("second poll: %s", st.Err)
	}
	if f.count() != 2 || c.SessionsOpened() != 2 {
		t.Errorf("sessions: got %d (the collector says %d), want 2", f.count(), c.SessionsOpened())
	}

	f2 := &fleet{t: t, name: "goipmi_dcmi.txt", fail: &CompletionError{Command: "Get Sensor Reading", Code: 0xcb}}
	c2 := newFleetCollector(t, f2, nil)
	for range 2 {
		st := c2.Poll(t.Context())
		if v, _ := findReading(st.Readings, collectors.PowerWatts, collectors.ScopeDevice, 0); !st.OK || v != 412 {
			t.Errorf("with completion codes: got OK=%v %s, server power %v; want OK, 412 from DCMI", st.OK, st.Err, v)
		}
	}
	if f2.count() != 1 {
		t.Errorf("completion codes ended the session: %d sessions, want 1", f2.count())
	}
}

// TestIdleSessionReopened: a session unused for longer than BMCs keep one
// is not trusted; the poll opens a new one.
func TestIdleSessionReopened(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	f := &fleet{t: t, name: "goipmi_dcmi.txt"}
	c := newFleetCollector(t, f, clk.Now)
	c.Poll(t.Context())
	// A 30 s poll interval with its 10 % jitter keeps the session.
	clk.advance(33 * time.Second)
	c.Poll(t.Context())
	clk.advance(DefaultMaxIdle)
	c.Poll(t.Context())
	if f.count() != 1 {
		t.Fatalf("after 33 s and %v idle: %d sessions, want 1", DefaultMaxIdle, f.count())
	}
	clk.advance(DefaultMaxIdle + time.Second)
	if st := c.Poll(t.Context()); !st.OK {
		t.Fatal(st.Err)
	}
	if f.count() != 2 || !f.sessions[0].closed || !f.sessions[0].politely {
		t.Errorf("after %v idle: %d sessions (first closed %v, politely %v), want 2 and the first closed with a Close Session",
			DefaultMaxIdle+time.Second, f.count(), f.sessions[0].closed, f.sessions[0].politely)
	}
	// Past the BMC's own limit its session is gone: no Close Session that
	// would wait for an answer.
	clk.advance(bmcIdleLimit)
	c.Poll(t.Context())
	if f.count() != 3 || !f.sessions[1].closed || f.sessions[1].politely {
		t.Errorf("after %v idle: %d sessions (second closed %v, politely %v), want 3 and the second dropped without a word",
			bmcIdleLimit, f.count(), f.sessions[1].closed, f.sessions[1].politely)
	}
}

func TestDialFailure(t *testing.T) {
	f := &fleet{t: t, name: "goipmi_dcmi.txt", dialErr: fmt.Errorf("dial bmc.test: %w", ErrAuth)}
	c := newFleetCollector(t, f, nil)
	st := c.Poll(t.Context())
	if st.OK || st.Reason != ReasonAuth || st.Device != "bmc.test" || st.At.IsZero() {
		t.Errorf("got %+v, want a failed poll of bmc.test with reason auth", st)
	}
}

// TestNewCollectorRefuses: a target that cannot be used is refused before
// anything is sent.
func TestNewCollectorRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Target)
		want   error
	}{
		{"cipher suite 1", func(t *Target) { t.CipherSuite = 1 }, ErrCipherSuite},
		{"cipher suite 2", func(t *Target) { t.CipherSuite = 2 }, ErrCipherSuite},
		{"cipher suite 18", func(t *Target) { t.CipherSuite = 18 }, ErrCipherSuite},
		{"no user", func(t *Target) { t.User = "" }, ErrConfig},
		{"no password", func(t *Target) { t.Password = Password{} }, ErrConfig},
		{"bad port", func(t *Target) { t.Address = "bmc:0" }, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := goTarget("bmc.test:623")
			tt.change(&target)
			_, err := NewCollector(target, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if _, err := Dial(t.Context(), target); !errors.Is(err, tt.want) {
				t.Errorf("Dial: got %v, want %v", err, tt.want)
			}
		})
	}
}
