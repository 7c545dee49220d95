package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/alerts"
)

// Defaults of Config.
const (
	DefaultResendInterval = time.Minute
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultQueueCapacity  = 10000
	DefaultBatchSize      = 256
	DefaultTimeout        = 10 * time.Second
)

// endsAtFactor is how many resend intervals a firing alert's EndsAt lies
// ahead: two posts may be lost before Alertmanager resolves it by itself.
const endsAtFactor = 3

// ErrConfig is returned by New for a configuration it cannot run with: no
// Alertmanager, a URL that is not http(s)://host[/prefix], credentials in
// a URL (they would be on the command line), an alert already registered.
var ErrConfig = errors.New("notify: invalid configuration")

// Config says where and how to deliver alerts. Zero durations and sizes
// take their defaults.
type Config struct {
	// Alertmanagers are the base URLs of the Alertmanagers, as given to
	// --alertmanager (http://am1:9093, or with a path prefix behind a
	// proxy: https://ops.example/alertmanager). Every alert goes to each.
	Alertmanagers []string
	// ResendInterval is how often a firing alert is posted again while it
	// fires; it is posted with EndsAt now + 3 × ResendInterval.
	ResendInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait before an Alertmanager is
	// tried again after a failed post: MinBackoff, doubling with each
	// failure in a row up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// QueueCapacity is how many alert updates may wait for one
	// Alertmanager; past it the oldest is dropped.
	QueueCapacity int
	// BatchSize is how many alerts one post carries at most.
	BatchSize int
	// Timeout bounds one post.
	Timeout time.Duration
	// ExternalLabels are added to every alert whose own labels lack that
	// name, e.g. {"dc": "city-dpc"} when several sites share Alertmanager.
	ExternalLabels map[string]string
	// GeneratorURL, if set, is every alert's generatorURL: where a person
	// sees the alerts (e.g. the API's /v1/alerts).
	GeneratorURL string
	// HTTPClient posts the alerts; its Transport carries TLS settings and
	// any authentication. Default: http.DefaultTransport.
	HTTPClient *http.Client
	// Registerer takes the metrics; default: a registry of the Notifier's
	// own, which nobody gathers.
	Registerer prometheus.Registerer
	// Logger logs failed posts and recoveries; default: discarded.
	Logger *slog.Logger
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ResendInterval, DefaultResendInterval)
	def(&c.MinBackoff, DefaultMinBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.Timeout, DefaultTimeout)
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	if c.QueueCapacity <= 0 {
		c.QueueCapacity = DefaultQueueCapacity
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Notifier delivers alerts to Alertmanagers. Send decides what to post;
// Run posts it. It is safe for concurrent use.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	targets []*target

	mu     sync.Mutex
	firing map[string]*sent // by alert ID: what Alertmanager was told fires
}

// sent is a firing alert as last handed to Send, and when it was last
// queued for posting.
type sent struct {
	alert  alerts.Alert
	queued time.Time
}

// New returns a Notifier of cfg's Alertmanagers, its metrics registered.
// It posts nothing until Run.
func New(cfg Config) (*Notifier, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Alertmanagers) == 0 {
		return nil, fmt.Errorf("%w: no Alertmanager URL", ErrConfig)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
	}
	n := &Notifier{cfg: cfg, log: cfg.Logger.With("component", "notify"), firing: map[string]*sent{}}
	seen := map[string]bool{}
	for _, raw := range cfg.Alertmanagers {
		t, err := newTarget(raw, &cfg, m, n.log)
		if err != nil {
			return nil, err
		}
		if seen[t.name] {
			return nil, fmt.Errorf("%w: Alertmanager %s given twice", ErrConfig, t.name)
		}
		seen[t.name] = true
		n.targets = append(n.targets, t)
	}
	return n, nil
}

// Run posts what Send queues, to every Alertmanager at once, until ctx is
// done; then it returns nil, once every poster has stopped. Updates still
// queued then are dropped with the Notifier: firing alerts lapse at their
// EndsAt unless a new leader sends them. Call it once.
func (n *Notifier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, t := range n.targets {
		wg.Go(func() { t.run(ctx) })
	}
	wg.Wait()
	return nil
}

// Send tells the Notifier which alerts are active at now (an
// evaluation's Result.Active; pending and silenced ones are not posted).
// It queues, for every Alertmanager: the firing alerts it has not posted,
// or not within ResendInterval; and, resolved at now, the alerts it posted
// firing that active no longer lists as notifiable. It does no I/O and
// does not block.
func (n *Notifier) Send(active []alerts.Alert, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*models.PostableAlert
	var ids []string
	notified := map[string]bool{}
	for i := range active {
		a := &active[i]
		if !a.Notify(now) || notified[a.ID] {
			continue
		}
		notified[a.ID] = true
		s, ok := n.firing[a.ID]
		if ok && now.Sub(s.queued) < n.cfg.ResendInterval {
			s.alert = *a // its newest value, for the resolved post
			continue
		}
		n.firing[a.ID] = &sent{alert: *a, queued: now}
		out, ids = append(out, n.postable(a, now, now.Add(endsAtFactor*n.cfg.ResendInterval))), append(ids, a.ID)
	}
	for _, id := range slices.Sorted(maps.Keys(n.firing)) {
		if notified[id] {
			continue
		}
		out, ids = append(out, n.postable(&n.firing[id].alert, now, now)), append(ids, id)
		delete(n.firing, id)
	}
	for _, t := range n.targets {
		t.q.push(ids, out)
	}
}

// Restore makes firing the set of alerts Alertmanager is taken to have
// been told fire, as a new leader does with the replicated state's firing
// alerts: the next Send posts those still firing at once and resolves the
// others.
func (n *Notifier) Restore(firing []alerts.Alert) {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.firing)
	for _, a := range firing {
		n.firing[a.ID] = &sent{alert: a} // queued long ago: due at once
	}
}

// postable is a as Alertmanager takes it, ending at endsAt: in the future
// while it fires, now when it resolves.
func (n *Notifier) postable(a *alerts.Alert, now, endsAt time.Time) *models.PostableAlert {
	labels := models.LabelSet{}
	for k, v := range n.cfg.ExternalLabels {
		labels[k] = v
	}
	maps.Copy(labels, a.Labels())
	starts := a.FiringSince
	if starts.IsZero() {
		starts = a.ActiveSince
	}
	if starts.IsZero() || starts.After(now) {
		starts = now // another leader's clock ahead of ours: never end before the start
	}
	return &models.PostableAlert{
		Alert:       models.Alert{Labels: labels, GeneratorURL: strfmt.URI(n.cfg.GeneratorURL)},
		Annotations: a.Annotations(),
		StartsAt:    strfmt.DateTime(starts.UTC()),
		EndsAt:      strfmt.DateTime(endsAt.UTC()),
	}
}
