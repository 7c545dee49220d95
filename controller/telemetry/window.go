package telemetry

import (
	"math"
	"sync"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// DefaultSamples is how many samples a series keeps when Config.Samples is 0.
const DefaultSamples = 120

// Key names one series.
type Key struct {
	Device string
	Metric collectors.Metric
	Scope  collectors.Scope
	Index  int
}

// Sample is one value of a series at a time.
type Sample struct {
	At    time.Time
	Value float64
}

// point is a sample as stored: 16 bytes rather than Sample's 32, since a
// site holds tens of thousands of series.
type point struct {
	at    int64 // Unix nanoseconds
	value float64
}

func (p point) sample() Sample { return Sample{At: time.Unix(0, p.at), Value: p.value} }

// ring is a circular buffer of up to size points, oldest overwritten first.
// It grows as points arrive, so a series costs what it holds.
type ring struct {
	buf  []point
	size int
	next int // where the next point goes once the buffer is full
}

func (r *ring) add(p point) {
	if len(r.buf) < r.size {
		r.buf = append(r.buf, p)
		return
	}
	r.buf[r.next] = p
	r.next = (r.next + 1) % r.size
}

func (r *ring) last() point {
	if len(r.buf) < r.size {
		return r.buf[len(r.buf)-1]
	}
	return r.buf[(r.next-1+r.size)%r.size]
}

// each calls fn for every point, oldest first.
func (r *ring) each(fn func(point)) {
	for i := range r.buf {
		fn(r.buf[(r.next+i)%len(r.buf)])
	}
}

// MaxClockSkew is how far in the future (by the controller's clock) a poll
// may be stamped. A poll beyond it is refused: kept, it would shadow every
// later poll of its device until the wall clock caught up.
const MaxClockSkew = time.Minute

// device is what the window knows of one device's polls. Poll times are
// the agent's, and order the polls; freshness is judged by when the
// controller received the newest good poll, so an agent's clock cannot
// make a device look fresh.
type device struct {
	lastPoll time.Time // agent's time of the newest poll, good or bad
	lastOK   time.Time // agent's time of the newest good poll
	gotOK    time.Time // controller's time when that poll arrived
	ok       bool      // whether the newest poll was good
	reason   string    // why the newest poll failed
}

// Window is the in-memory telemetry of all devices. It is safe for concurrent
// use.
type Window struct {
	mu         sync.RWMutex
	samples    int
	staleAfter time.Duration
	series     map[Key]*ring
	devices    map[string]*device
}

// New returns an empty window that keeps samples per series and considers a
// device stale when its newest good poll is older than staleAfter.
func New(samples int, staleAfter time.Duration) *Window {
	if samples <= 0 {
		samples = DefaultSamples
	}
	return &Window{samples: samples, staleAfter: staleAfter, series: map[Key]*ring{}, devices: map[string]*device{}}
}

// Ingest records polls received at now. Polls older than a device's newest
// are ignored, so a buffered batch delivered late cannot roll a device back;
// polls stamped more than MaxClockSkew after now are refused. Readings that
// are not finite numbers, or negative where a quantity cannot be, are
// dropped: that reading becomes unknown.
func (w *Window) Ingest(polls []collectors.Status, now time.Time) (accepted int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range polls {
		p := &polls[i]
		if p.At.After(now.Add(MaxClockSkew)) {
			continue
		}
		d := w.devices[p.Device]
		if d == nil {
			d = &device{}
			w.devices[p.Device] = d
		}
		if !p.At.After(d.lastPoll) {
			continue
		}
		accepted++
		d.lastPoll, d.ok, d.reason = p.At, p.OK, p.Reason
		if !p.OK {
			continue
		}
		d.lastOK, d.gotOK = p.At, now
		for _, r := range p.Readings {
			if !plausible(r) {
				continue
			}
			k := Key{p.Device, r.Metric, r.Scope, r.Index}
			s := w.series[k]
			if s == nil {
				s = &ring{size: w.samples}
				w.series[k] = s
			}
			s.add(point{at: p.At.UnixNano(), value: r.Value})
		}
	}
	return accepted
}

// Freshness says whether a device's readings can be used at now.
type Freshness struct {
	Fresh    bool
	LastPoll time.Time // zero if never polled
	LastOK   time.Time // zero if never read
	Reason   string    // why it is stale: never-seen, poll-failed: REASON, too-old
}

// Fresh tells whether the device's readings are usable at now.
func (w *Window) Fresh(device string, now time.Time) Freshness {
	w.mu.RLock()
	defer w.mu.RUnlock()
	d := w.devices[device]
	switch {
	case d == nil:
		return Freshness{Reason: "never-seen"}
	case !d.ok:
		return Freshness{LastPoll: d.lastPoll, LastOK: d.lastOK, Reason: "poll-failed: " + d.reason}
	case now.Sub(d.gotOK) > w.staleAfter:
		return Freshness{LastPoll: d.lastPoll, LastOK: d.lastOK, Reason: "too-old"}
	}
	return Freshness{Fresh: true, LastPoll: d.lastPoll, LastOK: d.lastOK}
}

// Latest returns the newest sample of a series, if the device is fresh at now
// and the sample belongs to its newest good poll. A reading the device stopped
// reporting is therefore unknown, not its old value.
func (w *Window) Latest(k Key, now time.Time) (Sample, bool) {
	if !w.Fresh(k.Device, now).Fresh {
		return Sample{}, false
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	r := w.series[k]
	if r == nil {
		return Sample{}, false
	}
	p := r.last()
	if p.at != w.devices[k.Device].lastOK.UnixNano() {
		return Sample{}, false
	}
	return p.sample(), true
}

// Range returns the samples of a series taken at or after since, oldest first.
func (w *Window) Range(k Key, since time.Time) []Sample {
	w.mu.RLock()
	defer w.mu.RUnlock()
	r := w.series[k]
	if r == nil {
		return nil
	}
	from := int64(math.MinInt64) // the zero time has no UnixNano
	if !since.IsZero() {
		from = since.UnixNano()
	}
	var out []Sample
	r.each(func(p point) {
		if p.at >= from {
			out = append(out, p.sample())
		}
	})
	return out
}

// plausible says whether a reading can be a measurement: a finite number,
// and not negative for a quantity that cannot be (power, current, voltage,
// energy).
func plausible(r collectors.Reading) bool {
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return false
	}
	switch r.Metric {
	case collectors.PowerWatts, collectors.ApparentPowerVA, collectors.CurrentAmperes, collectors.VoltageVolts,
		collectors.EnergyJoules, collectors.CoolingOutputWatts:
		return r.Value >= 0
	}
	return true
}

// Retain forgets every device for which keep is false, and its series: the
// window holds only the devices of the current inventory.
func (w *Window) Retain(keep func(device string) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.devices {
		if !keep(id) {
			delete(w.devices, id)
		}
	}
	for k := range w.series {
		if !keep(k.Device) {
			delete(w.series, k)
		}
	}
}

// Reset forgets everything: a node that becomes (or stops being) the leader
// starts from the agents' next pushes, not from what it knew before.
func (w *Window) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.devices)
	clear(w.series)
}

// Stats counts what the window holds.
func (w *Window) Stats() (devices, series int) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return len(w.devices), len(w.series)
}
