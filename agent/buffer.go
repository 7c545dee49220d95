package agent

import (
	"sync"

	"github.com/dcplane/dcplane/api"
)

// buffer holds batches waiting to be pushed, oldest first, up to a capacity;
// when full it drops the oldest.
type buffer struct {
	mu      sync.Mutex
	batches []*api.Batch
	cap     int
	ready   chan struct{} // has a value while the buffer is not empty
	idle    chan struct{} // has a value once the last batch is pushed
	m       *metrics
}

func newBuffer(capacity int, m *metrics) *buffer {
	m.bufferCapacity.Set(float64(capacity))
	return &buffer{cap: capacity, ready: make(chan struct{}, 1), idle: make(chan struct{}, 1), m: m}
}

// put appends a batch, dropping the oldest if the buffer is full.
func (b *buffer) put(batch *api.Batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) >= b.cap {
		b.batches[0] = nil
		b.batches = b.batches[1:]
		b.m.dropped.Inc()
	}
	b.batches = append(b.batches, batch)
	b.m.bufferDepth.Set(float64(len(b.batches)))
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// peek returns the oldest batch without removing it, or nil.
func (b *buffer) peek() *api.Batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) == 0 {
		return nil
	}
	return b.batches[0]
}

// done removes batch if it is still the oldest (it may have been dropped
// while it was being pushed).
func (b *buffer) done(batch *api.Batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.batches) > 0 && b.batches[0] == batch {
		b.batches[0] = nil
		b.batches = b.batches[1:]
	}
	b.m.bufferDepth.Set(float64(len(b.batches)))
	if len(b.batches) > 0 {
		select {
		case b.ready <- struct{}{}:
		default:
		}
		return
	}
	select { // the agent batches what came in meanwhile
	case b.idle <- struct{}{}:
	default:
	}
}

func (b *buffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.batches)
}
