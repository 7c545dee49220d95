package forecast

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/dcplane/dcplane/controller/power"
)

// Defaults of a History.
const (
	DefaultSpan   = 30 * 24 * time.Hour
	DefaultBucket = 5 * time.Minute
)

// Kinds of object a history is kept for: the same words as the alert
// objects'.
const (
	KindRack = "rack"
	KindRow  = "row"
	KindHall = "hall"
)

// Key names a series: a rack, row or hall by its inventory ID.
type Key struct {
	Kind string // KindRack, KindRow or KindHall
	ID   string
}

// History keeps, for each key, the maximum draw observed in each bucket of
// time (5 minutes by default) over a span (30 days by default): 8,640
// buckets of 4 bytes, 34.6 KB a series, whatever the rate of observation.
// It is safe for concurrent use.
type History struct {
	span, bucket time.Duration
	n            int // buckets per series

	mu     sync.Mutex
	series map[Key]*ring
}

// ring holds the maximum of each bucket by bucket number modulo its size,
// NaN where nothing was observed. Maxima are float32: a watt in a
// megawatt is below their precision, a tenth of a watt in a rack is not.
type ring struct {
	newest int64 // the newest bucket number observed
	max    []float32
}

// NewHistory returns an empty history over span in buckets of the given
// width. Non-positive values take the defaults; the bucket is at most the
// span.
func NewHistory(span, bucket time.Duration) *History {
	if span <= 0 {
		span = DefaultSpan
	}
	if bucket <= 0 {
		bucket = DefaultBucket
	}
	bucket = min(bucket, span)
	n := int((span + bucket - 1) / bucket)
	return &History{span: span, bucket: bucket, n: n, series: map[Key]*ring{}}
}

// Span is how far back the history reaches.
func (h *History) Span() time.Duration { return h.span }

// Bucket is the width of a bucket.
func (h *History) Bucket() time.Duration { return h.bucket }

// Observe records a draw of v watts of key at t. A value that is not a
// finite, non-negative number is ignored: a missing reading is not a
// zero. An observation older than the span before the newest is ignored.
func (h *History) Observe(k Key, t time.Time, v float64) {
	if !(v >= 0) || math.IsInf(v, 1) {
		return
	}
	b := floorDiv(t.UnixNano(), int64(h.bucket))
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.series[k]
	if r == nil {
		r = &ring{newest: b, max: make([]float32, h.n)}
		fillNaN(r.max)
		h.series[k] = r
	}
	n := int64(h.n)
	switch {
	case b <= r.newest-n:
		return // older than the ring holds
	case b > r.newest:
		// Empty the slots of the buckets skipped, at most the whole ring.
		for x := r.newest + 1; x <= b && x <= r.newest+n; x++ {
			r.max[mod(x, n)] = float32(math.NaN())
		}
		r.newest = b
	}
	i := mod(b, n)
	if f := float32(v); math.IsNaN(float64(r.max[i])) || f > r.max[i] {
		r.max[i] = f
	}
}

// Series returns key's bucket maxima over the span up to the bucket that
// holds now, oldest first, NaN where nothing was observed.
func (h *History) Series(k Key, now time.Time) Series {
	last := floorDiv(now.UnixNano(), int64(h.bucket))
	first := last - int64(h.n) + 1
	s := Series{Start: time.Unix(0, first*int64(h.bucket)).UTC(), Step: h.bucket, Values: make([]float64, h.n)}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.series[k]
	for i := range s.Values {
		b := first + int64(i)
		if r == nil || b > r.newest || b <= r.newest-int64(h.n) {
			s.Values[i] = math.NaN()
			continue
		}
		s.Values[i] = float64(r.max[mod(b, int64(h.n))])
	}
	return s
}

// Keys lists the keys that have a series, by kind then ID.
func (h *History) Keys() []Key {
	h.mu.Lock()
	out := make([]Key, 0, len(h.series))
	for k := range h.series {
		out = append(out, k)
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b Key) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID)) })
	return out
}

// Retain drops the series for which keep returns false.
func (h *History) Retain(keep func(Key) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k := range h.series {
		if !keep(k) {
			delete(h.series, k)
		}
	}
}

// ObserveReport records the draw of every rack whose draw is known, and of
// every row and hall whose racks' draws are all known (a partial sum is
// not a draw).
func (h *History) ObserveReport(rep *power.Report) {
	for i := range rep.Racks {
		if d := rep.Racks[i].DrawWatts; d != nil {
			h.Observe(Key{KindRack, rep.Racks[i].ID}, rep.At, *d)
		}
	}
	for _, r := range rep.Rows {
		if r.Complete {
			h.Observe(Key{KindRow, r.ID}, rep.At, r.DrawWatts)
		}
	}
	for _, r := range rep.Halls {
		if r.Complete {
			h.Observe(Key{KindHall, r.ID}, rep.At, r.DrawWatts)
		}
	}
}

// Budgets returns the budget in watts of every rack, row and hall of a
// report, by key: what DaysToFull compares forecasts with.
func Budgets(rep *power.Report) map[Key]float64 {
	out := make(map[Key]float64, len(rep.Racks)+len(rep.Rows)+len(rep.Halls))
	for i := range rep.Racks {
		out[Key{KindRack, rep.Racks[i].ID}] = rep.Racks[i].BudgetWatts
	}
	for _, r := range rep.Rows {
		out[Key{KindRow, r.ID}] = r.BudgetWatts
	}
	for _, r := range rep.Halls {
		out[Key{KindHall, r.ID}] = r.BudgetWatts
	}
	return out
}

// Series is a regular series of bucket maxima: Values[i] covers
// [Start + i·Step, Start + (i+1)·Step), NaN where nothing was observed.
type Series struct {
	Start  time.Time
	Step   time.Duration
	Values []float64
}

// At returns the time bucket i starts.
func (s Series) At(i int) time.Time { return s.Start.Add(time.Duration(i) * s.Step) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mod(a, n int64) int { return int(((a % n) + n) % n) }

func fillNaN(vs []float32) {
	for i := range vs {
		vs[i] = float32(math.NaN())
	}
}
