package agent

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
)

func newTestBuffer(capacity int) (*buffer, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return newBuffer(capacity, newMetrics(reg)), reg
}

// drain takes every batch out of the buffer, oldest first, and returns
// their sequence numbers.
func drain(b *buffer) []uint64 {
	var seqs []uint64
	for x := b.peek(); x != nil; x = b.peek() {
		seqs = append(seqs, x.Seq)
		b.done(x)
	}
	return seqs
}

func TestBufferDropsOldest(t *testing.T) {
	tests := []struct {
		capacity, puts int
		want           []uint64
		wantDropped    float64
	}{
		{capacity: 3, puts: 2, want: []uint64{1, 2}},
		{capacity: 3, puts: 3, want: []uint64{1, 2, 3}},
		{capacity: 3, puts: 5, want: []uint64{3, 4, 5}, wantDropped: 2},
		{capacity: 1, puts: 4, want: []uint64{4}, wantDropped: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d into %d", tt.puts, tt.capacity), func(t *testing.T) {
			b, reg := newTestBuffer(tt.capacity)
			for i := 1; i <= tt.puts; i++ {
				b.put(&api.Batch{Seq: uint64(i)})
			}
			if got := gauge(t, reg, "dcplane_agent_buffer_batches"); got != float64(len(tt.want)) {
				t.Errorf("got depth %v, want %d", got, len(tt.want))
			}
			if got := gauge(t, reg, "dcplane_agent_buffer_dropped_batches_total"); got != tt.wantDropped {
				t.Errorf("got %v dropped, want %v", got, tt.wantDropped)
			}
			if got := drain(b); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got batches %v, want %v: the newest kept, oldest first", got, tt.want)
			}
			if got := gauge(t, reg, "dcplane_agent_buffer_batches"); got != 0 {
				t.Errorf("got depth %v once drained, want 0", got)
			}
		})
	}
}

// TestBufferDoneAfterDrop pushes the oldest batch while newer ones make
// the buffer drop it: finishing that push must not remove the batch that
// is now the oldest.
func TestBufferDoneAfterDrop(t *testing.T) {
	b, _ := newTestBuffer(2)
	b.put(&api.Batch{Seq: 1})
	b.put(&api.Batch{Seq: 2})
	inFlight := b.peek()
	b.put(&api.Batch{Seq: 3}) // drops 1, the batch in flight
	b.done(inFlight)
	if got := drain(b); fmt.Sprint(got) != "[2 3]" {
		t.Errorf("got %v, want [2 3]", got)
	}
}

func TestRejected(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&api.Problem{Status: http.StatusBadRequest}, true},
		{&api.Problem{Status: http.StatusUnprocessableEntity}, true},
		{fmt.Errorf("push: %w", &api.Problem{Status: http.StatusRequestEntityTooLarge}), true},
		{&api.Problem{Status: http.StatusRequestTimeout}, false},
		{&api.Problem{Status: http.StatusTooManyRequests}, false},
		{&api.Problem{Status: http.StatusInternalServerError}, false},
		{&api.Problem{Status: http.StatusServiceUnavailable}, false}, // not the leader: retried
		{&api.Problem{Status: http.StatusMultipleChoices}, false},
		{errors.New("connection refused"), false},
		{fmt.Errorf("%w: timeout", api.ErrUnreachable), false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if got := rejected(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBackoff follows one device through failures and a recovery: the
// wait doubles from Interval per failure in a row up to MaxBackoff, and a
// good poll brings it back to Interval.
func TestBackoff(t *testing.T) {
	a, err := New(Config{Name: "a1", Pusher: &fakePusher{}, Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}},
		Interval: time.Second, MaxBackoff: 6 * time.Second, Jitter: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	fail := result{status: collectors.Status{Device: "d1", Reason: "timeout"}}
	good := result{status: collectors.Status{Device: "d1", OK: true}}
	steps := []struct {
		r    result
		want time.Duration
	}{
		{fail, time.Second}, {fail, 2 * time.Second}, {fail, 4 * time.Second}, {fail, 6 * time.Second}, {fail, 6 * time.Second},
		{good, time.Second}, {fail, time.Second}, {fail, 2 * time.Second},
	}
	fails := make([]int, 1)
	for i, s := range steps {
		wait := time.Until(a.nextPoll(s.r, fails))
		if lo, hi := s.want*98/100, s.want*102/100; wait < lo || wait > hi {
			t.Errorf("step %d (ok %v): got a wait of %v, want %v ± 1 %% jitter", i, s.r.status.OK, wait, s.want)
		}
	}
}

// TestBatchesBySize splits by size: with a push gap and a flush interval
// longer than the test, only MaxBatch makes batches after the first (which
// goes at once), and each holds MaxBatch polls.
func TestBatchesBySize(t *testing.T) {
	p := &fakePusher{}
	start(t, Config{Name: "a1", Pusher: p, Interval: 5 * time.Millisecond, PushGap: time.Hour, FlushInterval: time.Hour, MaxBatch: 3,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "three batches", 5*time.Second, func() bool { _, seqs := p.polls("d1"); return len(seqs) >= 3 })
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.batches {
		if want := 3; i > 0 && len(b.Polls) != want {
			t.Errorf("got batch %d of %d polls, want %d", b.Seq, len(b.Polls), want)
		}
	}
}
