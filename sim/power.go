package sim

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"sync"
	"time"
)

// LoadModel is a rack's power over the day: Base watts, raised and lowered
// by a daily cosine of relative amplitude Swing peaking at PeakHour (UTC)
// shifted by Offset, plus smooth deterministic noise of relative amplitude
// Noise drawn from Seed. The zero value of a field means none of it, so
// start from NewLoadModel.
type LoadModel struct {
	Base     float64       // mean watts
	Swing    float64       // daily amplitude, a fraction of Base
	PeakHour float64       // hour of the day (UTC) of the peak, 0 to 24
	Offset   time.Duration // this rack's shift of the daily curve
	Noise    float64       // amplitude of the minute-scale noise, a fraction of Base
	Seed     uint64
	// Curve, when set, replaces the cosine (Swing and PeakHour): the load
	// is Base times the curve's value at the time since the Unix epoch
	// plus Offset. See NewCurveModel.
	Curve *Curve
}

// NewLoadModel returns a model around base watts with a ±15 % day peaking
// at 14:00 UTC, ±3 % noise, and a per-rack shift of up to ±2 h, the shift
// and the noise drawn from seed.
func NewLoadModel(base float64, seed uint64) LoadModel {
	shift := (unitHash(seed, math.MaxUint64) - 0.5) * 4 * float64(time.Hour)
	return LoadModel{Base: base, Swing: 0.15, PeakHour: 14, Offset: time.Duration(shift), Noise: 0.03, Seed: seed}
}

// LoadAt returns the load in watts at t, never negative. It is a pure
// function of the model and t.
func (m LoadModel) LoadAt(t time.Time) float64 {
	if m.Curve != nil {
		shape := m.Curve.At(time.Duration(t.UnixNano()) + m.Offset)
		return max(0, m.Base*(shape+m.Noise*smoothNoise(m.Seed, t)))
	}
	t = t.Add(m.Offset).UTC()
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	hour := t.Sub(midnight).Hours()
	daily := math.Cos(2 * math.Pi * (hour - m.PeakHour) / 24)
	return max(0, m.Base*(1+m.Swing*daily+m.Noise*smoothNoise(m.Seed, t)))
}

// smoothNoise is value noise in [-1, 1]: a random value per minute,
// eased from one minute's value to the next.
func smoothNoise(seed uint64, t time.Time) float64 {
	minute := t.Unix() / 60
	frac := float64(t.UnixNano()-minute*60e9) / 60e9
	a := 2*unitHash(seed, uint64(minute)) - 1
	b := 2*unitHash(seed, uint64(minute+1)) - 1
	ease := frac * frac * (3 - 2*frac)
	return a + (b-a)*ease
}

// unitHash maps (seed, n) to [0, 1) deterministically.
func unitHash(seed, n uint64) float64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], n)
	h.Write(b[:])
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// Feed names one of a rack's two power feeds.
type Feed int

// The two feeds of an A/B-fed rack.
const (
	FeedA Feed = iota
	FeedB
)

// String returns "A" or "B".
func (f Feed) String() string {
	if f == FeedA {
		return "A"
	}
	return "B"
}

// Rack is one rack's power draw: its own load (its LoadModel, unless
// pinned with Set) plus that of the workloads placed on it (SetPlaced),
// shared by its A and B feeds roughly half and half. It knows nothing of
// the PDUs that measure it: silencing a PDU is a communications fault, and
// the rack keeps drawing what it drew.
type Rack struct {
	model  LoadModel
	now    func() time.Time
	shareA float64

	mu     sync.Mutex
	pinned bool
	level  float64
	placed placedDay
	// adjust, when set, is added to what a feed carries: the watts its
	// servers' faults (a miswired or failed PSU) move onto it (negative:
	// off it). See rackServers.feedDelta.
	adjust func(Feed) float64
}

// NewRack returns a rack drawing model's load on the clock now (time.Now
// if nil). Feed A's share is 50 % ± 3 %, drawn from the model's seed.
func NewRack(model LoadModel, now func() time.Time) *Rack {
	if now == nil {
		now = time.Now
	}
	shareA := 0.5 + 0.06*(unitHash(model.Seed, math.MaxUint64-1)-0.5)
	return &Rack{model: model, now: now, shareA: shareA}
}

// Curve is the measured curve the rack's own load replays, nil when it
// follows the daily cosine.
func (r *Rack) Curve() *Curve { return r.model.Curve }

// Load returns the rack's total draw in watts now: its own load plus its
// placed workloads'.
func (r *Rack) Load() float64 {
	r.mu.Lock()
	pinned, level, placed := r.pinned, r.level, r.placed
	r.mu.Unlock()
	now := r.now()
	own := level
	if !pinned {
		own = r.model.LoadAt(now)
	}
	return own + placed.at(now)
}

// Set pins the rack's own draw at watts until Release: "push rack X over
// its budget". Placed workloads still add theirs.
func (r *Rack) Set(watts float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pinned, r.level = true, max(0, watts)
}

// Release returns the rack's own draw to its load model.
func (r *Rack) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pinned = false
}

// Share returns the fraction of the rack's load that feed f carries.
func (r *Rack) Share(f Feed) float64 {
	if f == FeedA {
		return r.shareA
	}
	return 1 - r.shareA
}

// FeedLoad returns the watts that feed f carries now: its share of the
// rack's load, moved between the feeds by the faults of the rack's
// servers, if any.
func (r *Rack) FeedLoad(f Feed) float64 {
	w := r.Load() * r.Share(f)
	r.mu.Lock()
	adjust := r.adjust
	r.mu.Unlock()
	if adjust != nil {
		w = max(0, w+adjust(f))
	}
	return w
}

// setAdjust makes fn move watts between the rack's feeds (see adjust).
func (r *Rack) setAdjust(fn func(Feed) float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.adjust = fn
}

// FeedFunc returns FeedLoad for f as a function, the Load of the PDU on
// that feed.
func (r *Rack) FeedFunc(f Feed) func() float64 {
	return func() float64 { return r.FeedLoad(f) }
}

// TotalLoad returns a function summing the racks' loads: the heat load of
// the cooling unit serving them.
func TotalLoad(racks ...*Rack) func() float64 {
	return func() float64 {
		total := 0.0
		for _, r := range racks {
			total += r.Load()
		}
		return total
	}
}
