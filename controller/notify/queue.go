package notify

import (
	"slices"
	"sync"

	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/client_golang/prometheus"
)

// queue holds the alert updates waiting for one Alertmanager, oldest
// first, at most one per alert: a newer update of an alert replaces the
// waiting one and goes to the back. Past its capacity it drops the oldest.
type queue struct {
	capacity int
	length   prometheus.Gauge
	dropped  prometheus.Counter

	mu      sync.Mutex
	items   []item
	waiting map[string]uint64 // alert ID → seq of its waiting update
	seq     uint64
	wake    chan struct{} // holds a token while items may be waiting
}

// item is one alert update; seq tells a replaced update from its
// replacement.
type item struct {
	id    string
	seq   uint64
	alert *models.PostableAlert
}

func newQueue(capacity int, length prometheus.Gauge, dropped prometheus.Counter) *queue {
	return &queue{capacity: capacity, length: length, dropped: dropped,
		waiting: map[string]uint64{}, wake: make(chan struct{}, 1)}
}

// push queues the updates alerts, of the alert IDs ids.
func (q *queue) push(ids []string, alerts []*models.PostableAlert) {
	if len(ids) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, id := range ids {
		if old, ok := q.waiting[id]; ok {
			q.items = slices.DeleteFunc(q.items, func(it item) bool { return it.seq == old })
		}
		if len(q.items) >= q.capacity {
			delete(q.waiting, q.items[0].id)
			q.items = slices.Delete(q.items, 0, 1)
			q.dropped.Inc()
		}
		q.seq++
		q.waiting[id] = q.seq
		q.items = append(q.items, item{id: id, seq: q.seq, alert: alerts[i]})
	}
	q.length.Set(float64(len(q.items)))
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// peek returns up to n of the oldest updates, leaving them queued.
func (q *queue) peek(n int) []item {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.items[:min(n, len(q.items))])
}

// remove takes the updates done out of the queue, unless a newer update of
// the same alert replaced one meanwhile.
func (q *queue) remove(done []item) {
	q.mu.Lock()
	defer q.mu.Unlock()
	gone := make(map[uint64]bool, len(done))
	for _, it := range done {
		gone[it.seq] = true
		if q.waiting[it.id] == it.seq {
			delete(q.waiting, it.id)
		}
	}
	q.items = slices.DeleteFunc(q.items, func(it item) bool { return gone[it.seq] })
	q.length.Set(float64(len(q.items)))
}

// len is how many updates wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
