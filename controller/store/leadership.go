package store

import (
	"context"
	"slices"
	"sync"
)

// leadership fans the node's leadership changes out to subscribers. Each
// subscriber has a channel of capacity one that holds only the latest value,
// so a slow subscriber never blocks Raft or the others.
type leadership struct {
	mu     sync.Mutex
	leader bool
	closed bool
	subs   []chan bool
}

// subscribe returns a channel that receives the current leadership if it is
// true, then every change, until ctx is done or close is called, when it is
// closed.
func (l *leadership) subscribe(ctx context.Context) <-chan bool {
	ch := make(chan bool, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || ctx.Err() != nil {
		close(ch)
		return ch
	}
	if l.leader {
		ch <- true
	}
	l.subs = append(l.subs, ch)
	context.AfterFunc(ctx, func() { l.unsubscribe(ch) })
	return ch
}

func (l *leadership) unsubscribe(ch chan bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.subs, ch); i >= 0 {
		l.subs = slices.Delete(l.subs, i, i+1)
		close(ch)
	}
}

// publish records a change and passes it on, replacing any value a
// subscriber has not read yet.
func (l *leadership) publish(leader bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leader = leader
	for _, ch := range l.subs {
		select {
		case <-ch:
		default:
		}
		ch <- leader // cannot block: the buffer is empty and only we send
	}
}

// close closes every subscriber's channel; later subscribers get a closed
// channel.
func (l *leadership) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, ch := range l.subs {
		close(ch)
	}
	l.subs = nil
}
