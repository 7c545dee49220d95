package telemetry

import (
	"fmt"
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
// may be stamped. A poll beyond it is refused with ReasonFuture: kept, it
// would shadow every later poll of its device until the wall clock caught
// up. Agents and controllers keep NTP time, which errs by milliseconds; a
// minute let a forged poll hide the real agent's for that long.
const MaxClockSkew = 5 * time.Second

// Limits on what one push, and one device, can cost the window. A poll
// carries a device's readings, one series each: a PDU of 48 outlets
// reports about 300. Without the series limit, pushes of new reading
// indexes for one PDU grew the window by millions of series that were
// never freed.
const (
	// MaxPollsPerPush is how many polls one Ingest takes; the rest are
	// refused with ReasonPushLimit. Agents push 500 at most.
	MaxPollsPerPush = 4096
	// MaxSeriesPerDevice is how many series a device may have; readings
	// that would add more are dropped with ReasonSeriesLimit. A device's
	// series cost at most MaxSeriesPerDevice × samples × 16 bytes.
	MaxSeriesPerDevice = 1024
)

// Reason says why the window refused a poll or dropped a reading. Each is
// a label value on /metrics.
type Reason string

// The reasons a poll is refused.
const (
	ReasonFuture    Reason = "future"     // stamped more than MaxClockSkew after it arrived
	ReasonPushLimit Reason = "push-limit" // past MaxPollsPerPush in one push
	// ReasonUnassigned: its device is not in a hall the pushing agent is
	// assigned (refused before the window; counted with Refuse).
	ReasonUnassigned Reason = "unassigned"
)

// The reasons a reading is dropped.
const (
	ReasonImplausible Reason = "implausible"  // not finite, beyond MaxMagnitude, or negative where that cannot be
	ReasonSeriesLimit Reason = "series-limit" // its device has MaxSeriesPerDevice series
	// ReasonBeyondRating: more than its device can physically carry (see
	// Catalog).
	ReasonBeyondRating Reason = "beyond-rating"
)

// PollReasons and ReadingReasons list every Reason, for metrics that
// should show each at zero.
var (
	PollReasons    = []Reason{ReasonFuture, ReasonPushLimit, ReasonUnassigned}
	ReadingReasons = []Reason{ReasonImplausible, ReasonSeriesLimit, ReasonBeyondRating}
)

// MaxMagnitude bounds every reading, whatever its device: no quantity a
// data centre measures comes near it (10^18 J is 280 TWh), and sums of
// any number of readings within it stay finite. A reading beyond it is
// dropped as implausible even for a device the Catalog does not rate.
const MaxMagnitude = 1e18

// MaxProblems is how many refusals a Result describes one by one; the
// rest are only counted.
const MaxProblems = 16

// Problem describes one refused poll or dropped reading: what and why, so
// that the agent can log it.
type Problem struct {
	Device string
	Metric collectors.Metric // empty for a refused poll
	Scope  collectors.Scope
	Index  int
	Value  float64
	Reason Reason
	Detail string
}

// Result says what one push did to the window.
type Result struct {
	Accepted        int            // polls newer than the device's newest
	RefusedPolls    map[Reason]int // polls refused, by reason
	DroppedReadings map[Reason]int // readings of accepted polls dropped, by reason
	Problems        []Problem      // the first MaxProblems refusals, described
}

// note describes a refusal in r, up to MaxProblems of them.
func (r *Result) note(p Problem) {
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, p)
	}
}

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
	series   int       // how many series the window holds for it
}

// Window is the in-memory telemetry of all devices. It is safe for concurrent
// use.
type Window struct {
	mu         sync.RWMutex
	samples    int
	staleAfter time.Duration
	series     map[Key]*ring
	devices    map[string]*device
	dropped    map[Reason]uint64 // since New, by reason: polls and readings
	catalog    *Catalog          // the devices' ratings; nil: none checked
}

// New returns an empty window that keeps samples per series and considers a
// device stale when its newest good poll is older than staleAfter.
func New(samples int, staleAfter time.Duration) *Window {
	if samples <= 0 {
		samples = DefaultSamples
	}
	return &Window{samples: samples, staleAfter: staleAfter, series: map[Key]*ring{}, devices: map[string]*device{},
		dropped: map[Reason]uint64{}}
}

// Ingest records polls received at now and returns how many it accepted;
// see Take.
func (w *Window) Ingest(polls []collectors.Status, now time.Time) (accepted int) {
	return w.Take(polls, now).Accepted
}

// Take records polls received at now, and says what it refused and why.
// Polls older than a device's newest are ignored, so a buffered batch
// delivered late cannot roll a device back; polls stamped more than
// MaxClockSkew after now, and polls past MaxPollsPerPush, are refused.
// Readings that are not finite numbers, beyond MaxMagnitude, or negative
// where a quantity cannot be, are dropped: that reading becomes unknown. So
// are readings beyond what the Catalog says their device can carry, and
// readings that would give a device more than MaxSeriesPerDevice series.
func (w *Window) Take(polls []collectors.Status, now time.Time) Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	res := Result{RefusedPolls: map[Reason]int{}, DroppedReadings: map[Reason]int{}}
	if len(polls) > MaxPollsPerPush {
		res.RefusedPolls[ReasonPushLimit] = len(polls) - MaxPollsPerPush
		polls = polls[:MaxPollsPerPush]
	}
	for i := range polls {
		p := &polls[i]
		if p.At.After(now.Add(MaxClockSkew)) {
			res.RefusedPolls[ReasonFuture]++
			res.note(Problem{Device: p.Device, Reason: ReasonFuture,
				Detail: fmt.Sprintf("stamped %s, %s after it arrived; the limit is %s", p.At.Format(time.RFC3339Nano), p.At.Sub(now), MaxClockSkew)})
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
		res.Accepted++
		d.lastPoll, d.ok, d.reason = p.At, p.OK, p.Reason
		if !p.OK {
			continue
		}
		d.lastOK, d.gotOK = p.At, now
		w.record(p, d, &res)
	}
	for r, n := range res.RefusedPolls {
		w.dropped[r] += uint64(n)
	}
	for r, n := range res.DroppedReadings {
		w.dropped[r] += uint64(n)
	}
	return res
}

// record adds a good poll's readings to their series, counting in res
// those it leaves out.
func (w *Window) record(p *collectors.Status, d *device, res *Result) {
	rating := w.catalog.rating(p.Device)
	for _, r := range p.Readings {
		reason, detail := ReasonImplausible, ""
		if plausible(r) {
			reason, detail = rating.check(r)
		}
		if reason != "" {
			res.DroppedReadings[reason]++
			if detail == "" {
				detail = fmt.Sprintf("%g is not a measurement of %s", r.Value, r.Metric)
			}
			res.note(Problem{Device: p.Device, Metric: r.Metric, Scope: r.Scope, Index: r.Index, Value: r.Value,
				Reason: reason, Detail: detail})
			continue
		}
		k := Key{p.Device, r.Metric, r.Scope, r.Index}
		s := w.series[k]
		if s == nil {
			if d.series >= MaxSeriesPerDevice {
				res.DroppedReadings[ReasonSeriesLimit]++
				res.note(Problem{Device: p.Device, Metric: r.Metric, Scope: r.Scope, Index: r.Index, Value: r.Value, Reason: ReasonSeriesLimit,
					Detail: fmt.Sprintf("the device has %d series, the most one may have", MaxSeriesPerDevice)})
				continue
			}
			d.series++
			s = &ring{size: w.samples}
			w.series[k] = s
		}
		s.add(point{at: p.At.UnixNano(), value: r.Value})
	}
}

// Dropped counts, by reason, the polls the window refused and the readings
// it dropped since New (Reset does not clear it: it is a counter).
func (w *Window) Dropped() map[Reason]uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make(map[Reason]uint64, len(w.dropped))
	for r, n := range w.dropped {
		out[r] = n
	}
	return out
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

// Refuse counts n polls refused before they reached the window (for
// ReasonUnassigned), with the window's own refusals.
func (w *Window) Refuse(reason Reason, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropped[reason] += uint64(n)
}

// plausible says whether a reading can be a measurement: a finite number
// within MaxMagnitude, and not negative for a quantity that cannot be
// (power, current, voltage, energy).
func plausible(r collectors.Reading) bool {
	if math.IsNaN(r.Value) || math.Abs(r.Value) > MaxMagnitude {
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
