package agent

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/controller/telemetry"
)

// Poller polls one device once. A failed poll is a Status with OK false and a
// short Reason; Poll must return when ctx is done.
type Poller interface {
	Poll(ctx context.Context) collectors.Status
}

// Pusher delivers a batch to the controller. *api.Client is one, and a
// Reporter as well.
type Pusher interface {
	Push(ctx context.Context, b *api.Batch) (*api.IngestResult, error)
}

// Reporter is a Pusher that returns the controller's whole answer, which
// the agent logs and counts refusals from.
type Reporter interface {
	// PushTelemetry sends b and returns what the controller took, and
	// what it refused and why.
	PushTelemetry(ctx context.Context, b *api.Batch) (*api.IngestReport, error)
}

// Target is one device to poll. A Poller that is also an io.Closer (an
// IPMI session) is closed when Run returns, and what a SharedPoller shares
// (the SNMP Collector's kept sessions) once.
type Target struct {
	Device string
	Poller Poller
	// Protocol says which workers poll the device: BMCs have their own
	// (Config.BMCWorkers), so that slow or silent BMCs never hold up the
	// PDUs. "" means ProtocolSNMP.
	Protocol Protocol
}

// Protocol is how a target is polled.
type Protocol string

// The protocols, each with a pool of workers of its own.
const (
	ProtocolSNMP Protocol = "snmp"
	ProtocolIPMI Protocol = "ipmi"
)

// protocols lists the pools of workers, by their index.
var protocols = [...]Protocol{ProtocolSNMP, ProtocolIPMI}

// pool is the index of t's pool of workers in protocols.
func (t Target) pool() int {
	if t.Protocol == ProtocolIPMI {
		return 1
	}
	return 0
}

// Config configures an Agent. Zero durations and sizes take the defaults
// given on each field.
type Config struct {
	Name       string        // reported in batches; required
	Targets    []Target      // required
	Pusher     Pusher        // required
	Interval   time.Duration // between polls of one device; 10 s
	Jitter     float64       // ± share of Interval added at random to each schedule; 0.1
	Timeout    time.Duration // per poll; 3 s
	MaxBackoff time.Duration // longest wait between polls of a failing device; 8 × Interval
	Workers    int           // SNMP polls at once; 32
	BMCWorkers int           // BMC polls at once, beside the SNMP ones; 16
	BMCTimeout time.Duration // per BMC poll (BMCs can take seconds a reply); 20 s
	// PushGap is the least time between two batches while the controller
	// keeps up: a result is batched and pushed as soon as it is in, unless
	// the last batch went less than PushGap ago, when it waits for the rest
	// of the gap with whatever else comes in. Each push wakes the leader's
	// alert evaluation, and the controller takes 10 pushes a second from an
	// agent (api.DefaultLimits): half of them, 200 ms, leaves the rest for
	// retries and for draining the buffer after an outage.
	PushGap time.Duration
	// FlushInterval is how often results are batched while a push is in
	// flight or the controller does not answer, so that each buffered
	// batch holds about this long of results; 1 s.
	FlushInterval time.Duration
	MaxBatch      int // polls a batch holds at most; 500, and never more than the controller takes in one push
	BufferBatches int // batches kept while the controller does not answer; 1000
	// Reasons are the failure reasons the pollers may report; each starts
	// at 0 in dcplane_agent_poll_errors_total, so that its rate is 0 rather
	// than absent before the first failure.
	Reasons    []string
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

func (c *Config) defaults() error {
	if c.Name == "" || len(c.Targets) == 0 || c.Pusher == nil {
		return errors.New("agent: config needs Name, Targets and Pusher")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, 10*time.Second)
	def(&c.Timeout, 3*time.Second)
	def(&c.BMCTimeout, 20*time.Second)
	def(&c.MaxBackoff, 8*c.Interval)
	def(&c.FlushInterval, time.Second)
	def(&c.PushGap, time.Duration(2*float64(time.Second)/api.DefaultLimits().Ingest.Rate))
	for _, p := range []struct {
		v *int
		d int
	}{{&c.Workers, 32}, {&c.BMCWorkers, 16}, {&c.MaxBatch, 500}, {&c.BufferBatches, 1000}} {
		if *p.v <= 0 {
			*p.v = p.d
		}
	}
	// A batch past the controller's limit would have its tail refused:
	// split it instead.
	c.MaxBatch = min(c.MaxBatch, telemetry.MaxPollsPerPush)
	if c.Jitter <= 0 || c.Jitter >= 1 {
		c.Jitter = 0.1
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Agent polls targets and pushes their readings.
type Agent struct {
	cfg Config
	log *slog.Logger
	m   *metrics
	buf *buffer
	seq uint64
}

// New returns an agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	m := newMetrics(cfg.Registerer)
	m.targets.Set(float64(len(cfg.Targets)))
	for _, r := range []string{"ok", "error"} {
		m.polls.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error", "rejected", "throttled"} {
		m.pushes.WithLabelValues(r)
	}
	for _, r := range cfg.Reasons {
		m.pollErrors.WithLabelValues(r)
	}
	for _, p := range protocols {
		m.overdue.WithLabelValues(string(p))
	}
	a := &Agent{cfg: cfg, log: cfg.Logger.With("component", "agent"), m: m, buf: newBuffer(cfg.BufferBatches, m)}
	a.checkBMCInterval()
	return a, nil
}

// checkBMCInterval warns when BMCs are polled less often than their
// sessions are kept (ipmi.DefaultMaxIdle): each poll would open a new
// session, several times the CPU of a poll over a kept one.
func (a *Agent) checkBMCInterval() {
	longest := time.Duration(float64(a.cfg.Interval) * (1 + a.cfg.Jitter))
	if longest < ipmi.DefaultMaxIdle {
		return
	}
	for _, t := range a.cfg.Targets {
		if t.Protocol == ProtocolIPMI {
			a.log.Warn("BMCs polled less often than their sessions are kept: each poll opens a new session",
				"interval", a.cfg.Interval, "jitter", a.cfg.Jitter, "session_max_idle", ipmi.DefaultMaxIdle)
			return
		}
	}
}

// Buffered is how many batches wait to be pushed.
func (a *Agent) Buffered() int { return a.buf.len() }

// Run polls and pushes until ctx is done, then closes the pollers that are
// io.Closers (ending the BMCs' sessions) and returns ctx's error. Batches
// still buffered then are lost (readings are disposable; the next run polls
// again). Run once: the closed pollers do not poll again.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pools := a.pools()
	results := make(chan result, a.cfg.Workers+a.cfg.BMCWorkers)
	var wg sync.WaitGroup
	for _, p := range pools {
		for range p.workers {
			wg.Add(1)
			go func() { defer wg.Done(); a.work(ctx, p, results) }()
		}
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.push(ctx) }()
	a.schedule(ctx, pools, results)
	wg.Wait()
	a.closePollers()
	return ctx.Err()
}

// pool is the workers of one protocol and the queue of its targets.
type pool struct {
	protocol Protocol
	workers  int // none when no target needs the pool
	timeout  time.Duration
	jobs     chan int
	q        queue
	behind   bool // its polls start overdue (see started)
}

// started records that a worker took e, a target of p due at e.at: how
// late it started, and whether it was overdue, more than one Interval
// late. A poll overdue is the agent falling behind (too few workers for
// its targets and their answer times), not the device failing: it is
// counted and logged apart from the device's failures. The pool is
// behind from its first overdue poll until one starts within half an
// Interval of its time.
func (a *Agent) started(p *pool, e entry) {
	late := max(0, time.Since(e.at))
	a.m.startLag.WithLabelValues(string(p.protocol)).Set(late.Seconds())
	overdue := late > a.cfg.Interval
	if overdue {
		a.m.overdue.WithLabelValues(string(p.protocol)).Inc()
	}
	switch {
	case overdue && !p.behind:
		p.behind = true
		a.log.Warn("agent falling behind: polls start more than an interval after their time; give it more workers or a longer interval",
			"protocol", p.protocol, "late", late.Round(time.Millisecond), "interval", a.cfg.Interval, "workers", p.workers, "waiting", len(p.q))
	case p.behind && late < a.cfg.Interval/2:
		p.behind = false
		a.log.Info("agent caught up: polls start on time again", "protocol", p.protocol, "late", late.Round(time.Millisecond))
	}
}

// pools returns the pools of workers, indexed as protocols.
func (a *Agent) pools() []*pool {
	ps := []*pool{
		{protocol: ProtocolSNMP, workers: a.cfg.Workers, timeout: a.cfg.Timeout, jobs: make(chan int)},
		{protocol: ProtocolIPMI, workers: a.cfg.BMCWorkers, timeout: a.cfg.BMCTimeout, jobs: make(chan int)},
	}
	var n [len(protocols)]int
	for _, t := range a.cfg.Targets {
		n[t.pool()]++
	}
	for i, p := range ps {
		p.workers = min(p.workers, n[i])
	}
	return ps
}

// SharedPoller is a Poller that polls through something it shares with
// other targets: an SNMP Collector, which keeps a session per device
// between polls. Run closes each thing shared once when it ends.
type SharedPoller interface {
	Poller
	// Shared returns what the poller shares; a comparable value (a
	// pointer), the same for every poller that shares it.
	Shared() io.Closer
}

// closePollers closes what the pollers share (see SharedPoller), each once,
// and the pollers that are io.Closers, BMCWorkers at a time: a BMC that
// does not answer its Close Session costs one request timeout.
func (a *Agent) closePollers() {
	closed := map[io.Closer]bool{}
	for _, t := range a.cfg.Targets {
		sp, ok := t.Poller.(SharedPoller)
		if !ok || closed[sp.Shared()] {
			continue
		}
		closed[sp.Shared()] = true
		if err := sp.Shared().Close(); err != nil {
			a.log.Debug("close failed", "device", t.Device, "err", err)
		}
	}
	sem := make(chan struct{}, a.cfg.BMCWorkers)
	var wg sync.WaitGroup
	for _, t := range a.cfg.Targets {
		c, ok := t.Poller.(io.Closer)
		if !ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.Close(); err != nil {
				a.log.Debug("close failed", "device", t.Device, "err", err)
			}
		}()
	}
	wg.Wait()
}

// result is one finished poll.
type result struct {
	target int
	status collectors.Status
}

// work polls the targets of its pool it is handed until ctx is done.
func (a *Agent) work(ctx context.Context, p *pool, results chan<- result) {
	duration := a.m.pollDuration.WithLabelValues(string(p.protocol))
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-p.jobs:
			t := a.cfg.Targets[i]
			pctx, cancel := context.WithTimeout(ctx, p.timeout)
			start := time.Now()
			st := t.Poller.Poll(pctx)
			cancel()
			duration.Observe(time.Since(start).Seconds())
			st.Device = t.Device
			if st.At.IsZero() {
				st.At = start
			}
			select {
			case results <- result{i, st}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// schedule hands due targets to their pools' workers, reschedules them as
// their results come back, and batches the results, until ctx is done.
// Each pool has its queue: a BMC due while every BMC worker is busy waits
// without holding up the PDUs due behind it.
func (a *Agent) schedule(ctx context.Context, pools []*pool, results <-chan result) {
	n := len(a.cfg.Targets)
	now := time.Now()
	for i, t := range a.cfg.Targets { // spread the first polls over one interval
		p := pools[t.pool()]
		p.q = append(p.q, entry{at: now.Add(a.cfg.Interval * time.Duration(i) / time.Duration(n)), target: i})
	}
	for _, p := range pools {
		heap.Init(&p.q)
	}
	fails := make([]int, n)
	var b batcher
	timer := time.NewTimer(0)
	defer timer.Stop()
	batch := time.NewTimer(0)
	defer batch.Stop()
	for {
		var next [len(protocols)]chan<- int // nil (never ready) unless a target is due
		var due [len(protocols)]int
		var wake time.Time
		for k, p := range pools {
			switch {
			case len(p.q) == 0:
			case !p.q[0].at.After(time.Now()):
				next[k], due[k] = p.jobs, p.q[0].target
			case wake.IsZero() || p.q[0].at.Before(wake):
				wake = p.q[0].at
			}
		}
		if !wake.IsZero() {
			timer.Reset(time.Until(wake))
		}
		var batchC <-chan time.Time // nil unless results wait
		var idle <-chan struct{}    // nil unless results wait for a push to end
		if len(b.pending) > 0 {
			busy := a.buf.len() > 0
			at := b.due(busy, a.cfg.PushGap, a.cfg.FlushInterval)
			if !at.After(time.Now()) {
				a.flush(&b)
				continue
			}
			batch.Reset(time.Until(at))
			batchC = batch.C
			if busy {
				idle = a.buf.idle
			}
		}
		select {
		case <-ctx.Done():
			return
		case next[0] <- due[0]:
			a.started(pools[0], heap.Pop(&pools[0].q).(entry))
		case next[1] <- due[1]:
			a.started(pools[1], heap.Pop(&pools[1].q).(entry))
		case <-timer.C:
		case r := <-results:
			pending := b.add(r.status)
			p := pools[a.cfg.Targets[r.target].pool()]
			heap.Push(&p.q, entry{at: a.nextPoll(r, fails), target: r.target})
			if len(pending) >= a.cfg.MaxBatch {
				a.flush(&b)
			}
		case <-batchC:
		case <-idle:
		}
	}
}

// batcher holds the results not yet batched.
type batcher struct {
	pending []collectors.Status
	since   time.Time // when the oldest pending result came in
	last    time.Time // when the last batch was made
}

// add takes a result and returns the results pending.
func (b *batcher) add(st collectors.Status) []collectors.Status {
	if len(b.pending) == 0 {
		b.since = time.Now()
	}
	b.pending = append(b.pending, st)
	return b.pending
}

// due says when the pending results are to be batched. While the
// controller keeps up (nothing buffered, busy false) that is at once, the
// alert latency being the poll plus one push, unless the last batch went
// less than gap ago. While a push is in flight or failing, results join
// the next batch: it is made when that push ends (the caller waits for the
// buffer's idle too) or once the oldest result has waited flush.
func (b *batcher) due(busy bool, gap, flush time.Duration) time.Time {
	if busy {
		return b.since.Add(flush)
	}
	return b.last.Add(gap)
}

// nextPoll records a result's outcome and says when to poll its device next:
// an interval with jitter, doubled for each failure in a row up to
// MaxBackoff.
func (a *Agent) nextPoll(r result, fails []int) time.Time {
	wasFailing := fails[r.target] > 0
	if r.status.OK {
		a.m.polls.WithLabelValues("ok").Inc()
		fails[r.target] = 0
	} else {
		a.m.polls.WithLabelValues("error").Inc()
		a.m.pollErrors.WithLabelValues(r.status.Reason).Inc()
		fails[r.target]++
	}
	if isFailing := fails[r.target] > 0; isFailing != wasFailing {
		switch {
		case isFailing && r.status.Reason == collectors.ReasonLocal:
			a.m.backoff.Inc()
			a.log.Warn("no socket to the device could be opened on this host (its ports or file descriptors ran out): nothing was sent",
				"device", r.status.Device, "reason", r.status.Reason, "err", r.status.Err)
		case isFailing:
			a.m.backoff.Inc()
			a.log.Warn("device not answering", "device", r.status.Device, "reason", r.status.Reason, "err", r.status.Err)
		default:
			a.m.backoff.Dec()
			a.log.Info("device answering again", "device", r.status.Device)
		}
	}
	wait := a.cfg.Interval
	for f := fails[r.target]; f > 1 && wait < a.cfg.MaxBackoff; f-- {
		wait *= 2
	}
	wait = min(wait, a.cfg.MaxBackoff)
	wait += time.Duration((rand.Float64()*2 - 1) * a.cfg.Jitter * float64(wait))
	return time.Now().Add(wait)
}

// flush moves the pending results into a batch in the buffer.
func (a *Agent) flush(b *batcher) {
	if len(b.pending) == 0 {
		return
	}
	a.seq++
	a.buf.put(&api.Batch{Agent: a.cfg.Name, Seq: a.seq, Polls: b.pending})
	b.pending, b.last = make([]collectors.Status, 0, cap(b.pending)), time.Now()
}

// push sends buffered batches, oldest first, retrying with backoff while the
// controller does not answer, until ctx is done.
func (a *Agent) push(ctx context.Context) {
	retry := time.Duration(0)
	for {
		b := a.buf.peek()
		if b == nil {
			select {
			case <-ctx.Done():
				return
			case <-a.buf.ready:
				continue
			}
		}
		rep, err := a.send(ctx, b)
		if err == nil || rejected(err) {
			a.pushed(b, err)
			a.refusals(b, rep)
			retry = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		retry = min(max(2*retry, 250*time.Millisecond), 15*time.Second)
		if throttled(err) {
			// The controller is up and holds this agent to its limits.
			a.m.pushes.WithLabelValues("throttled").Inc()
			a.m.reachable.Set(1)
			a.log.Warn("controller throttled this agent's pushes; keeping the batch", "buffered", a.buf.len(), "retry_in", retry, "err", err)
		} else {
			a.m.pushes.WithLabelValues("error").Inc()
			a.m.reachable.Set(0)
			a.log.Warn("push to controller failed; keeping the batch", "buffered", a.buf.len(), "retry_in", retry, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// pushed records a batch the controller answered: taken, or refused for
// good. A refused batch is dropped, so that it does not block the ones
// behind it.
func (a *Agent) pushed(b *api.Batch, err error) {
	a.m.reachable.Set(1)
	a.buf.done(b)
	if err == nil {
		a.m.pushes.WithLabelValues("ok").Inc()
		return
	}
	a.m.pushes.WithLabelValues("rejected").Inc()
	a.log.Error("controller refused a batch; dropped it", "seq", b.Seq, "polls", len(b.Polls), "err", err)
}

// send pushes b, through PushTelemetry when the Pusher has it.
func (a *Agent) send(ctx context.Context, b *api.Batch) (*api.IngestReport, error) {
	if r, ok := a.cfg.Pusher.(Reporter); ok {
		return r.PushTelemetry(ctx, b)
	}
	res, err := a.cfg.Pusher.Push(ctx, b)
	if err != nil {
		return nil, err
	}
	return &api.IngestReport{Accepted: res.Accepted}, nil
}

// refusals logs and counts what the controller refused of a batch it
// took: polls of devices outside this agent's halls or from the future,
// readings that are not measurements or beyond their device's rating.
func (a *Agent) refusals(b *api.Batch, rep *api.IngestReport) {
	if rep == nil {
		return
	}
	polls, readings := rep.Refused()
	if polls+readings == 0 {
		return
	}
	for why, n := range rep.RefusedPolls {
		a.m.refusedPolls.WithLabelValues(why).Add(float64(n))
	}
	for why, n := range rep.DroppedReadings {
		a.m.refusedReadings.WithLabelValues(why).Add(float64(n))
	}
	args := []any{"seq", b.Seq, "polls", polls, "readings", readings}
	for i, p := range rep.Problems {
		if i == 3 {
			break
		}
		args = append(args, fmt.Sprintf("refused_%d", i+1), fmt.Sprintf("%s %s %s[%d]=%s: %s: %s", p.Device, p.Metric, p.Scope, p.Index, p.Value, p.Reason, p.Detail))
	}
	a.log.Warn("controller refused part of a batch", args...)
}

// throttled says whether the controller answered 429: this agent is over
// its limits, and the batch is sent again later.
func throttled(err error) bool {
	var p *api.Problem
	return errors.As(err, &p) && p.Status == http.StatusTooManyRequests
}

// rejected says whether the controller refused a batch in a way that
// sending it again cannot change: a 4xx problem other than a timeout or
// too many requests. Anything else (no answer, 5xx, not the leader) is
// retried.
func rejected(err error) bool {
	var p *api.Problem
	if !errors.As(err, &p) {
		return false
	}
	return p.Status >= 400 && p.Status < 500 && p.Status != http.StatusRequestTimeout && p.Status != http.StatusTooManyRequests
}

// entry is a target due at a time.
type entry struct {
	at     time.Time
	target int
}

// queue is a min-heap of entries by time.
type queue []entry

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q queue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)        { *q = append(*q, x.(entry)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
