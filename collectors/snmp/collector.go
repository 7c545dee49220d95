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
// is safe for concurrent use: a poll has a session to itself. The state it
// keeps per device is what need not be asked again: the profile
// auto-detection chose (asked again when it stops fitting), whether it
// answers GETBULK (a device that does not is walked with GETNEXT), the session
// (kept between polls, so that an SNMPv3 device's engine is discovered once
// and not on every poll; see reusable for when it is dropped), and the tally
// of values it rejected. Close it to close the sessions it keeps.
type Collector struct {
	dial   DialFunc
	logger *slog.Logger
	now    func() time.Time
	pool   *sessionPool // nil: a session per poll (an injected dialler's)

	mu       sync.Mutex
	detected map[string]*Def        // Target.Address → profile chosen by Auto
	bulk     map[string]bulkSupport // Target.Address → what the device does with GETBULK
	rejected map[string]int         // reason → values rejected since start
}

// NewCollector returns a Collector that dials real sessions, keeps up to
// DefaultMaxSessions of them between polls, and logs failed polls at debug
// level to logger (nil: no logging). The agent, which owns backoff, decides
// what deserves a warning.
func NewCollector(logger *slog.Logger) *Collector {
	return NewCollectorWith(logger, nil, nil)
}

// NewCollectorSessions is NewCollector keeping up to maxSessions idle
// sessions (<= 0: DefaultMaxSessions): one per device it polls, each a UDP
// socket, so a poller of more devices than that pays a new session (and for
// SNMPv3 an engine discovery) per poll of the least recently polled ones.
func NewCollectorSessions(logger *slog.Logger, maxSessions int) *Collector {
	c := NewCollectorWith(logger, nil, nil)
	c.pool = newSessionPool(maxSessions)
	return c
}

// NewCollectorWith is NewCollector with the dialler and the clock replaced;
// nil keeps the real one. A Collector with a dialler of its own dials a
// session for every poll and closes it after, so that the dialler sees
// every poll.
func NewCollectorWith(logger *slog.Logger, dial DialFunc, now func() time.Time) *Collector {
	return newCollector(logger, dial, now, dial == nil)
}

// newCollector is NewCollectorWith choosing whether sessions are kept.
func newCollector(logger *slog.Logger, dial DialFunc, now func() time.Time, keep bool) *Collector {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if dial == nil {
		dial = func(ctx context.Context, t Target) (Client, error) { return Dial(ctx, t) }
	}
	if now == nil {
		now = time.Now
	}
	c := &Collector{dial: dial, logger: logger.With("component", "snmp"), now: now,
		detected: map[string]*Def{}, bulk: map[string]bulkSupport{}, rejected: map[string]int{}}
	if keep {
		c.pool = newSessionPool(DefaultMaxSessions)
	}
	return c
}

// Close closes the sessions the Collector keeps; a poll running meanwhile
// closes its own when it ends. Polls after Close still work, each with a
// session of its own.
func (c *Collector) Close() error {
	if c.pool == nil {
		return nil
	}
	return c.pool.close()
}

// session returns a client for t, an idle one kept from an earlier poll
// or a new one, and the function that hands it back when the poll ends with
// err: kept for the next poll when reusable says so, else closed.
func (c *Collector) session(ctx context.Context, t Target) (Client, func(err error), error) {
	if c.pool == nil {
		client, err := c.dial(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		return client, func(error) { _ = client.Close() }, nil
	}
	k := keyOf(t)
	client, _ := c.pool.take(k).(Client)
	if client == nil {
		var err error
		if client, err = c.dial(ctx, t); err != nil {
			return nil, nil, err
		}
	}
	if s, ok := client.(*Session); ok {
		s.configure(t)
	}
	return client, func(err error) {
		if !reusable(err) {
			_ = client.Close()
			return
		}
		c.pool.put(k, client)
	}, nil
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
		st.Err = explain(err)
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
func (c *Collector) poll(ctx context.Context, t Target, p Profile) (_ []collectors.Reading, err error) {
	client, release, err := c.session(ctx, t)
	if err != nil {
		return nil, err
	}
	defer func() { release(err) }()
	if _, auto := p.(Auto); auto {
		d, err := c.resolve(ctx, client, t)
		if err != nil {
			return nil, err
		}
		p = d
	}
	pdus, err := c.walk(ctx, client, t, p)
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
func (c *Collector) Detect(ctx context.Context, t Target) (_ Detection, err error) {
	client, release, err := c.session(ctx, t)
	if err != nil {
		return Detection{}, err
	}
	defer func() { release(err) }()
	det, err := Detect(ctx, client, Defs())
	if err == nil {
		c.mu.Lock()
		c.detected[t.Address] = det.Profile
		c.mu.Unlock()
	}
	return det, err
}

// walk reads what p parses: a Def's columns in lockstep when the client can
// send single GETBULKs (walkColumns), else p's Roots one subtree at a time.
// A profile's max_repetitions applies unless the target sets its own.
func (c *Collector) walk(ctx context.Context, client Client, t Target, p Profile) ([]gosnmp.SnmpPDU, error) {
	reps := t.MaxRepetitions
	d, isDef := p.(*Def)
	if reps == 0 && isDef && d.maxReps > 0 {
		reps = d.maxReps
	}
	if reps == 0 {
		reps = DefaultMaxRepetitions
	}
	if bg, ok := client.(bulkGetter); ok && isDef {
		return c.walkDef(ctx, client, bg, t, d, reps)
	}
	if s, ok := client.(*Session); ok {
		s.g.MaxRepetitions = reps
	}
	return walkRoots(ctx, client, p.Roots())
}

// bulkSupport is what the Collector knows of a device's GETBULK.
type bulkSupport int

const (
	bulkUnknown bulkSupport = iota // never asked, or never answered
	bulkYes                        // it has answered a GETBULK
	bulkNo                         // it ignores GETBULK or refuses it, and answers GETNEXT
	bulkTryNext                    // its GETBULKs went unanswered in a poll too short to try GETNEXT
)

// walkDef walks d's columns with GETBULK, or with GETNEXT on a device known
// not to answer GETBULK. A device not yet known either way none of whose
// GETBULKs of a poll was answered, because it ignored them or answered
// with an error-status, is tried with GETNEXT: in the same poll when time
// is left, else first thing in its next poll. When the GETNEXT walk is
// answered, the device is remembered as one without GETBULK and polled
// with GETNEXT from then on. A device that has answered GETBULK and stops
// is down or busy, not one without GETBULK: it is not tried with GETNEXT,
// which would only double the time its failed polls take.
func (c *Collector) walkDef(ctx context.Context, client Client, bg bulkGetter, t Target, d *Def, reps uint32) ([]gosnmp.SnmpPDU, error) {
	ng, canNext := client.(nextGetter)
	c.mu.Lock()
	known := c.bulk[t.Address]
	c.mu.Unlock()
	switch {
	case !canNext:
	case known == bulkNo:
		return walkColumns(ctx, byGetNext{ng}, d.columnRoots(), 1)
	case known == bulkTryNext:
		return c.tryNext(ctx, ng, t, d, nil)
	}
	counted := &countingBulk{bg: bg}
	pdus, err := walkColumns(ctx, counted, d.columnRoots(), reps)
	if counted.answered > 0 {
		if known != bulkYes {
			c.setBulk(t.Address, bulkYes)
		}
		return pdus, err
	}
	if err == nil || known != bulkUnknown || !canNext || !bulkRefused(err) {
		return pdus, err
	}
	return c.tryNext(ctx, ng, t, d, err)
}

// tryNext walks d's columns with GETNEXT on a device whose GETBULKs went
// unanswered (bulkErr: in this poll; nil: in an earlier one) and remembers
// what it learns: bulkNo when the walk is answered, bulkTryNext when the
// poll had no time left to send it, else nothing. A walk that got no
// answer returns bulkErr, which says what happened first, when there is
// one.
func (c *Collector) tryNext(ctx context.Context, ng nextGetter, t Target, d *Def, bulkErr error) ([]gosnmp.SnmpPDU, error) {
	counted := &countingBulk{bg: byGetNext{ng}}
	pdus, err := walkColumns(ctx, counted, d.columnRoots(), 1)
	switch {
	case counted.answered > 0:
		c.setBulk(t.Address, bulkNo)
		c.logger.Info("device does not answer GETBULK; polling it with GETNEXT", "target", t.Address)
	case bulkErr != nil && outOfTime(ctx):
		c.setBulk(t.Address, bulkTryNext)
	default:
		c.setBulk(t.Address, bulkUnknown)
	}
	if err != nil && bulkErr != nil && counted.answered == 0 {
		return nil, bulkErr
	}
	return pdus, err
}

// outOfTime says whether ctx is done or its deadline has passed: a request
// that gosnmp cut at the deadline may return before ctx's own timer has
// fired, and the poll is out of time all the same.
func outOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// setBulk remembers what the device at addr does with GETBULK.
func (c *Collector) setBulk(addr string, b bulkSupport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b == bulkUnknown {
		delete(c.bulk, addr)
		return
	}
	c.bulk[addr] = b
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
