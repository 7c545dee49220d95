package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/models"
)

// poster posts alerts to one Alertmanager: the part of Alertmanager's
// client a target uses.
type poster interface {
	// PostAlerts posts params' alerts; its error carries the status of a
	// refused post.
	PostAlerts(params *alert.PostAlertsParams, opts ...alert.ClientOption) (*alert.PostAlertsOK, error)
}

// target is one Alertmanager: its client, its queue and its metrics.
type target struct {
	name    string // its URL without credentials: the metrics' target label
	api     poster
	q       *queue
	m       targetMetrics
	log     *slog.Logger
	batch   int
	timeout time.Duration
	backoff func(failures int) time.Duration
}

// newTarget parses raw, an Alertmanager's base URL, into a target.
func newTarget(raw string, cfg *Config, m *metrics, log *slog.Logger) (*target, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: Alertmanager URL %q: want http(s)://host:port[/prefix]", ErrConfig, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: Alertmanager URL %s: credentials in a URL end up on the command line; "+
			"give Config.HTTPClient a transport that adds them", ErrConfig, u.Redacted())
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	name := u.Scheme + "://" + u.Host + prefix
	rt := httptransport.NewWithClient(u.Host, prefix+amclient.DefaultBasePath, []string{u.Scheme}, cfg.HTTPClient)
	rt.SetDebug(false) // the runtime would dump requests to stdout under DEBUG=1
	lo, hi := cfg.MinBackoff, cfg.MaxBackoff
	return &target{
		name: name, api: amclient.New(rt, strfmt.Default).Alert,
		q: newQueue(cfg.QueueCapacity, m.queue.WithLabelValues(name), m.dropped.WithLabelValues(name)),
		m: m.target(name), log: log.With("alertmanager", name), batch: cfg.BatchSize, timeout: cfg.Timeout,
		backoff: func(failures int) time.Duration { return backoff(lo, hi, failures) },
	}, nil
}

// backoff is the wait after failures failed posts in a row: lo, doubled
// for each failure after the first, at most hi.
func backoff(lo, hi time.Duration, failures int) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// run posts the queue's updates, oldest first, until ctx is done. After
// a failed post it waits its backoff and tries the same updates (or their
// newer replacements) again; a refused post is dropped.
func (t *target) run(ctx context.Context) {
	failures := 0
	for {
		batch := t.q.peek(t.batch)
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-t.q.wake:
				continue
			}
		}
		err := t.post(ctx, batch)
		if ctx.Err() != nil {
			return
		}
		if err == nil || refused(err) {
			t.q.remove(batch)
			if err == nil && failures > 0 {
				t.log.Info("alertmanager reachable again", "failed_posts", failures)
			}
			failures = 0
			continue
		}
		failures++
		wait := t.backoff(failures)
		t.log.Warn("alertmanager post failed; retrying", "err", err, "alerts", len(batch), "failures", failures, "retry_in", wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// post sends batch, counting what it sent, how long it took and why it
// failed.
func (t *target) post(ctx context.Context, batch []item) error {
	alerts := make(models.PostableAlerts, len(batch))
	for i, it := range batch {
		alerts[i] = it.alert
	}
	params := alert.NewPostAlertsParamsWithContext(ctx).WithTimeout(t.timeout).WithAlerts(alerts)
	start := time.Now()
	_, err := t.api.PostAlerts(params)
	t.m.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		reason := classify(err)
		t.m.errors.WithLabelValues(reason).Inc()
		if reason == reasonRefused {
			t.log.Error("alertmanager refused alerts; dropped", "err", err, "alerts", len(batch))
		}
		return fmt.Errorf("post %d alerts to %s: %w", len(batch), t.name, err)
	}
	t.m.sent.Add(float64(len(batch)))
	return nil
}

// Reasons of dcplane_notify_errors_total.
const (
	reasonTimeout     = "timeout"     // no answer in time
	reasonUnreachable = "unreachable" // refused connection, no route, unknown host
	reasonRefused     = "refused"     // a 4xx answer: the alerts are invalid to it; dropped, not retried
	reasonServer      = "server"      // a 5xx answer (or 429): retried
	reasonOther       = "other"
)

var reasons = []string{reasonTimeout, reasonUnreachable, reasonRefused, reasonServer, reasonOther}

// classify says why a post failed.
func classify(err error) string {
	if code, ok := statusCode(err); ok {
		if code/100 == 4 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout {
			return reasonRefused
		}
		return reasonServer
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return reasonTimeout
	}
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) {
		return reasonUnreachable
	}
	return reasonOther
}

// refused says whether err is Alertmanager refusing the alerts, which no
// retry mends.
func refused(err error) bool { return classify(err) == reasonRefused }

// statusCode is the HTTP status of an answer err reports, if any.
func statusCode(err error) (int, bool) {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code(), true
	}
	var api *runtime.APIError
	if errors.As(err, &api) {
		return api.Code, true
	}
	return 0, false
}
