package snmp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// DialFunc opens a session with a target. Dial is the real one; tests pass
// fakes.
type DialFunc func(ctx context.Context, t Target) (Client, error)

// Collector polls devices over SNMP, one device and one profile per call. It
// holds no per-device state and is safe for concurrent use: each poll opens
// and closes its own session.
type Collector struct {
	dial   DialFunc
	logger *slog.Logger
	now    func() time.Time
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
	return &Collector{dial: dial, logger: logger.With("component", "snmp"), now: now}
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
	pdus, err := walkRoots(ctx, client, p.Roots())
	if err != nil {
		return nil, err
	}
	readings, err := p.Parse(pdus, t.Module)
	if err != nil {
		return nil, fmt.Errorf("poll %s: profile %s: %w", t.Address, p.Name(), err)
	}
	return readings, nil
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
