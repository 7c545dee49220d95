package notify

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/controller/alerts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// rackAlert is a firing RackPowerWarning on rack k of hall H1, row R1,
// since t0, at w watts.
func rackAlert(k string, w float64) alerts.Alert {
	obj := alerts.Object{Kind: alerts.KindRack, Site: "dc", Hall: "H1", Row: "R1", Rack: k}
	return alerts.Alert{ID: alerts.ID(alerts.RackPowerWarning, obj), Rule: alerts.RackPowerWarning,
		Severity: alerts.Warning, Object: obj, Status: alerts.StatusFiring, Value: w, Limit: 12000, Unit: "W",
		Summary: fmt.Sprintf("rack %s draws %.0f W", k, w), Runbook: "move load",
		ActiveSince: t0.Add(-5 * time.Minute), FiringSince: t0}
}

// newTest is a Notifier of the given Alertmanagers (two unreachable ones
// by default) with a resend interval of a minute and its own registry.
func newTest(t *testing.T, cfg Config) (*Notifier, *prometheus.Registry) {
	t.Helper()
	if cfg.Alertmanagers == nil {
		cfg.Alertmanagers = []string{"http://am1.invalid:9093", "http://am2.invalid:9093/prefix"}
	}
	cfg.ResendInterval = time.Minute
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: got %v, want no error", err)
	}
	return n, reg
}

// drain takes what waits for target i out of its queue, as
// "ID firing|resolved", in order.
func drain(n *Notifier, i int) []item {
	q := n.targets[i].q
	items := q.peek(q.len())
	q.remove(items)
	return items
}

// brief is an update in a line: its ID and whether it fires at now.
func brief(it item, now time.Time) string {
	state := "resolved"
	if time.Time(it.alert.EndsAt).After(now) {
		state = "firing"
	}
	return it.id + " " + state
}

func briefs(items []item, now time.Time) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, brief(it, now))
	}
	return out
}

// TestSendFiringResolved checks what Alertmanager is told of an alert
// that fires, goes on firing with a new value, then resolves: its labels
// and annotations, and EndsAt three resend intervals ahead while it
// fires, the resolve time once it does not; to every Alertmanager.
func TestSendFiringResolved(t *testing.T) {
	n, _ := newTest(t, Config{ExternalLabels: map[string]string{"dc": "city", "rack": "not-this"},
		GeneratorURL: "http://ctl:8080/v1/alerts"})
	a := rackAlert("K1", 12500)
	n.Send([]alerts.Alert{a}, t0)
	a.Value, a.Summary = 13000, "rack K1 draws 13000 W"
	n.Send([]alerts.Alert{a}, t0.Add(10*time.Second))
	t1 := t0.Add(20 * time.Second)
	n.Send(nil, t1)
	wantLabels := map[string]string{"alertname": "RackPowerWarning", "severity": "warning", "site": "dc",
		"hall": "H1", "row": "R1", "rack": "K1", "dc": "city"}
	for i := range n.targets {
		got := drain(n, i)
		if len(got) != 1 {
			t.Fatalf("target %d: got %v, want one update (the resolve replaced the firing one)", i, briefs(got, t1))
		}
		p := got[0].alert
		if !maps.Equal(p.Labels, wantLabels) {
			t.Errorf("target %d labels: got %v, want %v", i, p.Labels, wantLabels)
		}
		if p.Annotations["summary"] != "rack K1 draws 13000 W" || p.Annotations["value"] != "13000 W" ||
			p.Annotations["limit"] != "12000 W" || p.Annotations["runbook"] != "move load" {
			t.Errorf("target %d annotations: got %v, want the newest value's", i, p.Annotations)
		}
		if s, e := time.Time(p.StartsAt), time.Time(p.EndsAt); !s.Equal(t0) || !e.Equal(t1) {
			t.Errorf("target %d resolved: got %v–%v, want %v–%v", i, s, e, t0, t1)
		}
		if p.GeneratorURL != "http://ctl:8080/v1/alerts" {
			t.Errorf("target %d generatorURL: got %q", i, p.GeneratorURL)
		}
	}

	n.Send([]alerts.Alert{a}, t1)
	p := drain(n, 0)[0].alert
	if s, e := time.Time(p.StartsAt), time.Time(p.EndsAt); !s.Equal(t0) || !e.Equal(t1.Add(3*time.Minute)) {
		t.Errorf("firing: got %v–%v, want %v–%v (3 resend intervals ahead)", s, e, t0, t1.Add(3*time.Minute))
	}
	if err := p.Validate(nil); err != nil {
		t.Errorf("firing: got %v, want a valid postable alert", err)
	}
}

// TestSendDedup walks a sequence of evaluations and checks what each
// queues: new firing alerts at once, the same again only once a resend
// interval has passed, resolves once, nothing for pending or silenced
// alerts.
func TestSendDedup(t *testing.T) {
	a, b, c := rackAlert("K1", 12500), rackAlert("K2", 12500), rackAlert("K3", 12500)
	c.Status, c.FiringSince = alerts.StatusPending, time.Time{}
	silenced := b
	silenced.Silence = &alerts.Silence{By: "ops", At: t0, Until: t0.Add(time.Hour)}
	s := time.Second
	steps := []struct {
		at     time.Duration
		active []alerts.Alert
		want   []string
	}{
		{0, []alerts.Alert{a}, []string{a.ID + " firing"}},
		{30 * s, []alerts.Alert{a}, []string{}},
		{59 * s, []alerts.Alert{a, a}, []string{}},
		{60 * s, []alerts.Alert{a}, []string{a.ID + " firing"}},
		{70 * s, []alerts.Alert{a, b, c}, []string{b.ID + " firing"}},
		{80 * s, []alerts.Alert{b, c}, []string{a.ID + " resolved"}},
		{90 * s, []alerts.Alert{b, c}, []string{}},
		{95 * s, []alerts.Alert{silenced, c}, []string{b.ID + " resolved"}},
		{200 * s, []alerts.Alert{silenced, c}, []string{}},
		{200 * s, nil, []string{}},
	}
	n, _ := newTest(t, Config{})
	for i, st := range steps {
		now := t0.Add(st.at)
		n.Send(st.active, now)
		for k := range n.targets {
			if got := briefs(drain(n, k), now); !slices.Equal(got, st.want) {
				t.Errorf("step %d (%v) target %d: got %v, want %v", i, st.at, k, got, st.want)
			}
		}
	}
}

// TestRestore: a new leader, given the replicated firing alerts, posts
// those still firing at once and resolves the one that cleared.
func TestRestore(t *testing.T) {
	a, b := rackAlert("K1", 12500), rackAlert("K2", 12500)
	n, _ := newTest(t, Config{})
	n.Send([]alerts.Alert{b}, t0)
	drain(n, 0)
	n.Restore([]alerts.Alert{a, b})
	now := t0.Add(time.Second)
	n.Send([]alerts.Alert{a}, now)
	got := briefs(drain(n, 0), now)
	if want := []string{a.ID + " firing", b.ID + " resolved"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestQueueBound: a queue past its capacity drops its oldest updates and
// counts them; a newer update of an alert replaces the waiting one.
func TestQueueBound(t *testing.T) {
	n, reg := newTest(t, Config{QueueCapacity: 3})
	var as []alerts.Alert
	for k := range 5 {
		as = append(as, rackAlert(fmt.Sprintf("K%d", k+1), 12500))
	}
	n.Send(as[:2], t0)
	n.Send(as[:1], t0.Add(time.Second)) // K2 resolves: replaces its firing update
	if got := n.targets[0].q.len(); got != 2 {
		t.Errorf("after a resolve: got %d waiting, want 2", got)
	}
	n.Send(as, t0.Add(2*time.Second)) // K2..K5 fire again: 5 updates, room for 3
	now := t0.Add(2 * time.Second)
	got := briefs(drain(n, 0), now)
	want := []string{as[2].ID + " firing", as[3].ID + " firing", as[4].ID + " firing"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want the 3 newest %v", got, want)
	}
	const metric = `
# HELP dcplane_notify_alerts_dropped_total Alert updates dropped, oldest first, because an Alertmanager's queue was full.
# TYPE dcplane_notify_alerts_dropped_total counter
dcplane_notify_alerts_dropped_total{target="http://am1.invalid:9093"} 2
dcplane_notify_alerts_dropped_total{target="http://am2.invalid:9093/prefix"} 2
# HELP dcplane_notify_queue_length Alert updates waiting to be posted to an Alertmanager.
# TYPE dcplane_notify_queue_length gauge
dcplane_notify_queue_length{target="http://am1.invalid:9093"} 0
dcplane_notify_queue_length{target="http://am2.invalid:9093/prefix"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(metric),
		"dcplane_notify_alerts_dropped_total", "dcplane_notify_queue_length"); err != nil {
		t.Error(err)
	}
}

// TestBackoff checks the wait after each failure in a row.
func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{{1, 100 * ms}, {2, 200 * ms}, {3, 400 * ms}, {4, 800 * ms}, {5, time.Second}, {60, time.Second}} {
		if got := backoff(100*ms, time.Second, c.failures); got != c.want {
			t.Errorf("after %d failures: got %v, want %v", c.failures, got, c.want)
		}
	}
}

// TestNewRefuses: a Notifier needs an Alertmanager, each a plain
// http(s) URL without credentials, given once.
func TestNewRefuses(t *testing.T) {
	for _, urls := range [][]string{
		nil,
		{"am1:9093"},
		{"ftp://am1:9093"},
		{"http://"},
		{"http://user:secret@am1:9093"},
		{"http://am1:9093?x=1"},
		{"http://am1:9093", "http://am1:9093/"},
	} {
		_, err := New(Config{Alertmanagers: urls})
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%v: got %v, want ErrConfig", urls, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: got %v, want the password left out", urls, err)
		}
	}
}
