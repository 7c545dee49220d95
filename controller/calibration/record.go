package calibration

import (
	"math"
	"sync"
	"time"
)

// RecordBuckets is how many spans a Record cuts its horizon into. A
// server's lowest and highest draw are kept per span, so that a reading
// is forgotten one span after it leaves the horizon at the latest. The
// leader keeps a Record of every server of the site (18,000 in the
// largest), so it is coarser than the racks' peaks: 24 spans of an hour
// over a day cost some 800 bytes a server.
const RecordBuckets = 24

// Record is each server's Observed over a sliding horizon: the leader's
// fold of its BMCs' readings, which it commits. It is safe for concurrent
// use. Times are its callers': it reads no clock.
type Record struct {
	horizon, bucket time.Duration

	mu      sync.Mutex
	servers map[string]*span
}

// span holds the Observed of each bucket, by bucket number modulo its size.
type span struct {
	obs   [RecordBuckets]Observed
	index [RecordBuckets]int64 // the bucket number each slot holds; a slot of another number is empty
}

// NewRecord returns an empty record over horizon (at least one
// nanosecond a bucket).
func NewRecord(horizon time.Duration) *Record {
	bucket := max(horizon/RecordBuckets, 1)
	return &Record{horizon: bucket * RecordBuckets, bucket: bucket, servers: map[string]*span{}}
}

// Horizon is how far back Observed looks, rounded up to whole buckets.
func (r *Record) Horizon() time.Duration { return r.horizon }

// Observe folds a reading of server's input power at t. As with
// Observed.Add, a reading that is not the draw of a server that is on
// counts for nothing, and creates nothing.
func (r *Record) Observe(server string, t time.Time, watts float64) {
	if !(watts > 0) || math.IsInf(watts, 0) {
		return
	}
	b := t.UnixNano() / int64(r.bucket)
	i := int(((b % RecordBuckets) + RecordBuckets) % RecordBuckets)
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.servers[server]
	if g == nil {
		g = &span{}
		for j := range g.index {
			g.index[j] = math.MinInt64
		}
		r.servers[server] = g
	}
	if g.index[i] != b {
		g.index[i], g.obs[i] = b, Observed{}
	}
	g.obs[i] = g.obs[i].Add(watts)
}

// Observed returns what was observed of every server within the horizon
// before now, by ID; a server with nothing in it is left out.
func (r *Record) Observed(now time.Time) map[string]Observed {
	last := now.UnixNano() / int64(r.bucket)
	first := last - RecordBuckets + 1
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Observed, len(r.servers))
	for id, g := range r.servers {
		var o Observed
		for i, b := range g.index {
			if b >= first && b <= last && g.obs[i].Known {
				o = o.Add(g.obs[i].MinWatts).Add(g.obs[i].MaxWatts)
			}
		}
		if o.Known {
			out[id] = o
		}
	}
	return out
}

// Retain drops the servers for which keep returns false.
func (r *Record) Retain(keep func(server string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.servers {
		if !keep(id) {
			delete(r.servers, id)
		}
	}
}
