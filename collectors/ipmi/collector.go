package ipmi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// DefaultMaxIdle is how long a session may go unused before the next poll
// opens a new one. BMCs end a session after about 60 s without a request
// (IPMI v2.0 §6.12.15, 60 s ± 3 s); a poll on a session the BMC has ended
// would wait for answers that never come. It is well above the poll
// intervals agents use (30 s with 10 % jitter is 33 s at most) and above
// the round an agent behind its schedule takes, so that each poll reuses
// the session: at 30 s, half the polls used to open a new one (RAKP and
// the SDR again), 5 to 6 times a kept session's CPU.
const DefaultMaxIdle = 50 * time.Second

// bmcIdleLimit is the session inactivity timeout of IPMI v2.0 §6.12.15.
const bmcIdleLimit = 60 * time.Second

// ErrClosed means the Collector was closed.
var ErrClosed = errors.New("ipmi: collector closed")

// DialFunc opens a session with a target. Dial is the real one; tests pass
// fakes.
type DialFunc func(ctx context.Context, t Target) (BMC, error)

// Collector polls one BMC. It keeps its session across polls, with what the
// session learnt: the SDR's sensors (read once per session) and whether the
// BMC supports DCMI. A poll that fails for want of an answer ends the
// session; the next poll opens a new one. It is safe for concurrent use:
// polls are serialised. Close it when done, so that the BMC frees the
// session's slot at once (BMCs have few).
type Collector struct {
	t       Target
	dial    DialFunc
	logger  *slog.Logger
	now     func() time.Time
	maxIdle time.Duration

	mu       sync.Mutex
	bmc      BMC       // nil while no session is open
	lastUsed time.Time // of bmc
	sdr      *plan     // nil until read in this session
	noDCMI   string    // why DCMI is not asked in this session; "" to ask
	device   *DeviceInfo
	closed   bool
	opened   int // sessions opened
}

// NewCollector returns a Collector of t's BMC that dials real sessions and
// logs failed polls at debug level to logger (nil: no logging). It checks t
// and refuses a cipher suite other than 17 or 3, but does not dial yet.
func NewCollector(t Target, logger *slog.Logger) (*Collector, error) {
	return NewCollectorWith(t, logger, nil, nil)
}

// NewCollectorWith is NewCollector with the dialler and the clock replaced;
// nil keeps the real one.
func NewCollectorWith(t Target, logger *slog.Logger, dial DialFunc, now func() time.Time) (*Collector, error) {
	if _, _, err := t.validate(); err != nil {
		return nil, fmt.Errorf("ipmi target %s: %w", t.device(), err)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if dial == nil {
		dial = func(ctx context.Context, t Target) (BMC, error) { return Dial(ctx, t) }
	}
	if now == nil {
		now = time.Now
	}
	return &Collector{t: t, dial: dial, logger: logger.With("component", "ipmi", "target", t.Address),
		now: now, maxIdle: DefaultMaxIdle}, nil
}

// Report is what one poll found, for people: each reading with where it
// came from, what was looked for and not found, and the SDR records not
// read.
type Report struct {
	Device      *DeviceInfo `json:"device,omitempty"` // nil when Get Device ID failed
	CipherSuite CipherSuite `json:"cipher_suite"`
	DCMI        string      `json:"dcmi"` // "supported", or why it is not used
	Readings    []Found     `json:"readings"`
	Unknown     []Unknown   `json:"unknown,omitempty"`
	Skipped     []Skipped   `json:"skipped,omitempty"`
}

// Poll polls the BMC once and returns the outcome: OK with the readings,
// or failed with Reason and Err, in which case all the device's readings
// are unknown. At is the time the poll started. Values the BMC did not give
// are left out. Give ctx a deadline: every request of a poll may wait
// Target.RequestBudget.
func (c *Collector) Poll(ctx context.Context) collectors.Status {
	st := collectors.Status{Device: c.t.device(), At: c.now()}
	r, err := c.poll(ctx, false)
	if err != nil {
		st.Reason = Reason(err)
		st.Err = err.Error()
		c.logger.Debug("poll failed", "reason", st.Reason, "err", err)
		return st
	}
	st.OK = true
	st.Readings = readings(r.Readings)
	return st
}

// Report polls the BMC once, as Poll does, and also asks its device ID; it
// returns what a person wants to see of the BMC.
func (c *Collector) Report(ctx context.Context) (Report, error) {
	return c.poll(ctx, true)
}

// SessionOpen reports whether the Collector holds a session with its BMC,
// which its next poll will reuse unless it has been idle too long. It
// waits for a poll in progress to end.
func (c *Collector) SessionOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bmc != nil
}

// SessionsOpened is how many sessions the Collector has opened with its
// BMC: one, unless sessions failed, went idle too long, or were closed.
func (c *Collector) SessionsOpened() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened
}

// Close ends the session, telling the BMC within one request timeout.
// Polls after Close fail with ErrClosed.
func (c *Collector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.bmc == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.t.timeout())
	defer cancel()
	err := c.bmc.Close(ctx)
	c.forget()
	return err
}

// poll runs one poll under the lock: a session (reused, or opened now),
// then the questions.
func (c *Collector) poll(ctx context.Context, withDevice bool) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Report{}, ErrClosed
	}
	if c.bmc != nil {
		if idle := c.now().Sub(c.lastUsed); idle > c.maxIdle {
			// Past BMCs' own limit the session is gone: a Close Session
			// would wait for an answer that does not come.
			c.end(idle < bmcIdleLimit)
		}
	}
	if c.bmc == nil {
		b, err := c.dial(ctx, c.t)
		if err != nil {
			return Report{}, err
		}
		c.bmc = b
		c.opened++
	}
	r, err := c.ask(ctx, withDevice)
	if err != nil {
		// The session is in doubt (no answer, a cancelled request whose
		// answer may still come, an answer that made no sense): the next
		// poll opens a new one.
		c.end(!errors.Is(err, ErrNoAnswer) && ctx.Err() == nil)
		return Report{}, err
	}
	c.lastUsed = c.now()
	return r, nil
}

// ask asks what one poll needs. A completion code is an unknown value; any
// other error fails the poll.
func (c *Collector) ask(ctx context.Context, withDevice bool) (Report, error) {
	if withDevice && c.device == nil {
		if data, err := c.bmc.DeviceID(ctx); err == nil {
			if d, err := parseDeviceID(data); err == nil {
				c.device = &d
			}
		} else if !isNoReading(err) {
			return Report{}, err
		}
	}
	if c.sdr == nil {
		records, err := c.bmc.SDR(ctx)
		if err != nil && !isNoReading(err) {
			return Report{}, err
		}
		p := parseSDR(records) // a BMC without an SDR has no sensors
		c.sdr = &p
	}
	power, err := c.askPower(ctx)
	if err != nil {
		return Report{}, err
	}
	answers := make([]answer, len(c.sdr.sensors))
	for i, s := range c.sdr.sensors {
		data, err := c.bmc.SensorReading(ctx, s.Number)
		if err != nil && !isNoReading(err) {
			return Report{}, err
		}
		answers[i] = answer{data, err}
	}
	found, unknown := assemble(*c.sdr, power, answers)
	dcmi := "supported"
	if c.noDCMI != "" {
		dcmi = c.noDCMI
	}
	return Report{Device: c.device, CipherSuite: c.t.CipherSuite.orDefault(), DCMI: dcmi,
		Readings: found, Unknown: unknown, Skipped: c.sdr.skipped}, nil
}

// askPower asks DCMI Get Power Reading unless this session learnt that the
// BMC does not support it. nil means not asked.
func (c *Collector) askPower(ctx context.Context) (*answer, error) {
	if c.noDCMI != "" {
		return nil, nil
	}
	data, err := c.bmc.PowerReading(ctx)
	var ce *CompletionError
	switch {
	case errors.As(err, &ce) && (unsupported(ce.Code) || ce.Code == ccInsufficientPrivilege):
		// Neither changes within a session: do not ask again until the
		// next one.
		c.noDCMI = fmt.Sprintf("not available (completion code %#02x, %s): power from the SDR", ce.Code, completionText(ce.Code))
		return nil, nil
	case err != nil && !isNoReading(err):
		return nil, err
	}
	return &answer{data, err}, nil
}

// end ends the session: politely (Close Session, within one request
// timeout) when the BMC is answering, or by closing the socket alone when
// it is not.
func (c *Collector) end(polite bool) {
	ctx, cancel := context.WithTimeout(context.Background(), c.t.timeout())
	if !polite {
		cancel()
	}
	defer cancel()
	if err := c.bmc.Close(ctx); err != nil {
		c.logger.Debug("close session", "err", err)
	}
	c.forget()
}

// forget drops the session and what it learnt.
func (c *Collector) forget() {
	c.bmc, c.sdr, c.noDCMI, c.device = nil, nil, "", nil
}
