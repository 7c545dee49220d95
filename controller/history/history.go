package history

import (
	"math"
	"sync"
	"time"
)

// Defaults of a Record.
const (
	DefaultHorizon = 24 * time.Hour
	DefaultBucket  = 5 * time.Minute
)

// Record is the recent peak of each rack. It is safe for concurrent use.
type Record struct {
	horizon, bucket time.Duration
	n               int // buckets kept per rack: horizon / bucket

	mu    sync.Mutex
	racks map[string]*ring
}

// ring holds the maximum of each bucket, by bucket number modulo its size.
type ring struct {
	max   []float64
	index []int64 // the bucket number each slot holds; a slot of another number is empty
}

// New returns an empty record of peaks over horizon, kept in buckets of the
// given width. Non-positive values take the defaults; the bucket is at most
// the horizon.
func New(horizon, bucket time.Duration) *Record {
	if horizon <= 0 {
		horizon = DefaultHorizon
	}
	if bucket <= 0 {
		bucket = DefaultBucket
	}
	bucket = min(bucket, horizon)
	n := int((horizon + bucket - 1) / bucket)
	return &Record{horizon: horizon, bucket: bucket, n: n, racks: map[string]*ring{}}
}

// Horizon is how far back Peak looks.
func (r *Record) Horizon() time.Duration { return r.horizon }

// Observe records a rack's draw at t. A draw that is not a finite,
// non-negative number of watts is ignored: a missing reading is not a zero,
// and a garbage one is not a peak.
func (r *Record) Observe(rack string, t time.Time, watts float64) {
	if !(watts >= 0) || math.IsInf(watts, 1) {
		return
	}
	b := t.UnixNano() / int64(r.bucket)
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.racks[rack]
	if g == nil {
		g = &ring{max: make([]float64, r.n), index: make([]int64, r.n)}
		for i := range g.index {
			g.index[i] = math.MinInt64
		}
		r.racks[rack] = g
	}
	i := int(((b % int64(r.n)) + int64(r.n)) % int64(r.n))
	if g.index[i] != b {
		g.index[i], g.max[i] = b, watts
		return
	}
	g.max[i] = max(g.max[i], watts)
}

// Peak returns the highest draw of the rack observed within the horizon
// before now, and false if none was.
func (r *Record) Peak(rack string, now time.Time) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.racks[rack]
	if g == nil {
		return 0, false
	}
	last := now.UnixNano() / int64(r.bucket)
	first := last - int64(r.n) + 1
	peak, ok := 0.0, false
	for i, b := range g.index {
		if b >= first && b <= last {
			peak, ok = max(peak, g.max[i]), true
		}
	}
	return peak, ok
}

// Peaks returns the peak of every rack that has one at now.
func (r *Record) Peaks(now time.Time) map[string]float64 {
	r.mu.Lock()
	ids := make([]string, 0, len(r.racks))
	for id := range r.racks {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	out := make(map[string]float64, len(ids))
	for _, id := range ids {
		if w, ok := r.Peak(id, now); ok {
			out[id] = w
		}
	}
	return out
}

// Retain drops the racks for which keep returns false.
func (r *Record) Retain(keep func(rack string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.racks {
		if !keep(id) {
			delete(r.racks, id)
		}
	}
}
