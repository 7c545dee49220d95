package snmp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// DialFunc opens a session with a target. Dial is the real one; tests pass
// fakes.
type DialFunc func(ctx context.Context, t Target) (Client, error)

// Collector polls devices over SNMP, one device and one profile per call. It
// is safe for concurrent use: each poll opens and closes its own session.
// The state it keeps per device is what need not be asked again: the
// profile auto-detection chose (asked again when it stops fitting), and
// the tally of values it rejected.
type Collector struct {
	dial   DialFunc
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	detected map[string]*Def // Target.Address → profile chosen by Auto
	rejected map[string]int  // reason → values rejected since start
}

// NewCollector returns a Collector that dials real sessions and logs failed
// polls at debug level to logger (nil: no logging). The agent, which owns
// backoff, decides what deserves a warning.
func NewCollector(logger *slog.Logger) *Collector {
	return NewCollectorWith(logger, nil, nil)
}

// NewCollectorWith is NewCollector with the dialler and the clock replaced;
// nil keeps the real one.
func NewCollectorWith(logger *slog.Logger, dial DialFunc, now func() time.Time) *Collector {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if dial == nil {
		dial = func(ctx context.Context, t Target) (Client, error) { return Dial(ctx, t) }
	}
	if now == nil {
		now = time.Now
	}
	return &Collector{dial: dial, logger: logger.With("component", "snmp"), now: now,
		detected: map[string]*Def{}, rejected: map[string]int{}}
}

// Rejected returns how many values the Collector has rejected since it
// started, by reason (RejectSentinel, RejectImpossible…): values a device
// sent that are no reading, left out of the polls' readings.
func (c *Collector) Rejected() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.rejected)
}

// Poll polls t once through profile p and returns the outcome: OK with the
// readings, or failed with Reason and Err, in which case all the device's
// readings are unknown. At is the time the poll started. Poll returns when
// the poll ends or ctx is done; give ctx a deadline, since a silent device
// otherwise costs Timeout × (Retries+1) for every request of the poll.
func (c *Collector) Poll(ctx context.Context, t Target, p Profile) collectors.Status {
	st := collectors.Status{Device: t.device(), At: c.now()}
	readings, err := c.poll(ctx, t, p)
	if err != nil {
		st.Reason = Reason(err)
		st.Err = err.Error()
		c.logger.Debug("poll failed", "target", t.Address, "module", t.Module,
			"profile", p.Name(), "reason", st.Reason, "err", err)
		return st
	}
	st.OK = true
	st.Readings = readings
	return st
}

// poll does the I/O of one poll and hands the answer to the profile. Errors
// of the dialler and the client already name the target (Dial's and
// Session's do), so only the profile's are wrapped with the address here.
func (c *Collector) poll(ctx context.Context, t Target, p Profile) ([]collectors.Reading, error) {
	client, err := c.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Close() }()
	if _, auto := p.(Auto); auto {
		d, err := c.resolve(ctx, client, t)
		if err != nil {
			return nil, err
		}
		p = d
	}
	if d, ok := p.(*Def); ok && d.maxReps > 0 && t.MaxRepetitions == 0 {
		if s, ok := client.(*Session); ok {
			s.g.MaxRepetitions = d.maxReps
		}
	}
	pdus, err := walkRoots(ctx, client, p.Roots())
	if err != nil {
		return nil, err
	}
	readings, err := c.parse(p, pdus, t.Module)
	if err != nil {
		c.forget(t, p)
		return nil, fmt.Errorf("poll %s: profile %s: %w", t.Address, p.Name(), err)
	}
	return readings, nil
}

// parse hands the varbinds to p, tallying what a *Def rejects.
func (c *Collector) parse(p Profile, pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	d, ok := p.(*Def)
	if !ok {
		return p.Parse(pdus, module)
	}
	res, err := d.parse(pdus, module)
	c.mu.Lock()
	for k, n := range res.rejected {
		c.rejected[k] += n
	}
	c.mu.Unlock()
	return res.readings, err
}

// resolve returns the profile Auto chose for t earlier, or detects it now.
func (c *Collector) resolve(ctx context.Context, client Client, t Target) (*Def, error) {
	c.mu.Lock()
	d := c.detected[t.Address]
	c.mu.Unlock()
	if d != nil {
		return d, nil
	}
	det, err := Detect(ctx, client, Defs())
	if err != nil {
		return nil, fmt.Errorf("detect %s: %w", t.Address, err)
	}
	c.mu.Lock()
	c.detected[t.Address] = det.Profile
	c.mu.Unlock()
	c.logger.Debug("profile detected", "target", t.Address, "profile", det.Profile.name, "why", det.Why)
	return det.Profile, nil
}

// forget drops a detected profile that no longer fits the device (a card
// replaced by another model at the same address), so that the next poll
// detects again.
func (c *Collector) forget(t Target, p Profile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.detected[t.Address]; ok && Profile(d) == p {
		delete(c.detected, t.Address)
	}
}

// Detect dials t and detects its profile, for a probe that wants to show
// what it found.
func (c *Collector) Detect(ctx context.Context, t Target) (Detection, error) {
	client, err := c.dial(ctx, t)
	if err != nil {
		return Detection{}, err
	}
	defer func() { _ = client.Close() }()
	det, err := Detect(ctx, client, Defs())
	if err == nil {
		c.mu.Lock()
		c.detected[t.Address] = det.Profile
		c.mu.Unlock()
	}
	return det, err
}

// walkRoots walks each root in turn and returns all the varbinds. The first
// error ends the poll: a device that stops answering half-way is not
// reported with half its readings.
func walkRoots(ctx context.Context, client Client, roots []string) ([]gosnmp.SnmpPDU, error) {
	var all []gosnmp.SnmpPDU
	for _, root := range roots {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("walk %s: %w", root, err)
		}
		pdus, err := client.BulkWalkAll(ctx, root)
		if err != nil {
			return nil, err
		}
		all = append(all, pdus...)
	}
	return all, nil
}
