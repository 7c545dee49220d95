package notify

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dcplane/dcplane/controller/alerts"
)

// fakeAM is an Alertmanager's alerts endpoint that records each post and
// answers with status(n) for the n-th (0-based): a fake of the server,
// for the logic above the protocol.
type fakeAM struct {
	status func(n int) int
	mu     sync.Mutex
	posts  []post
	srv    *httptest.Server
}

// post is one post the fake received: when, and its alerts' alertname
// and rack labels.
type post struct {
	at     time.Time
	alerts []string
}

func newFakeAM(t *testing.T, prefix string, status func(n int) int) *fakeAM {
	f := &fakeAM{status: status}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != prefix+"/api/v2/alerts" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var body []struct{ Labels map[string]string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := post{at: time.Now()}
		for _, a := range body {
			p.alerts = append(p.alerts, a.Labels["rack"])
		}
		f.mu.Lock()
		code := http.StatusOK
		if f.status != nil {
			code = f.status(len(f.posts))
		}
		f.posts = append(f.posts, p)
		f.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAM) received() []post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts)
}

// run starts n's posters until the test ends.
func run(t *testing.T, n *Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor waits until cond holds, for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeliverHA: every update goes to every Alertmanager, one behind a
// path prefix, and is counted.
func TestDeliverHA(t *testing.T) {
	am1, am2 := newFakeAM(t, "", nil), newFakeAM(t, "/am", nil)
	n, reg := newTest(t, Config{Alertmanagers: []string{am1.srv.URL, am2.srv.URL + "/am/"}})
	run(t, n)
	n.Send([]alerts.Alert{rackAlert("K1", 12500), rackAlert("K2", 12500)}, t0)
	for _, am := range []*fakeAM{am1, am2} {
		waitFor(t, "both alerts at "+am.srv.URL, func() bool { return len(am.received()) > 0 })
		if got := am.received()[0].alerts; !slices.Equal(got, []string{"K1", "K2"}) {
			t.Errorf("%s: got %v, want [K1 K2] in one post", am.srv.URL, got)
		}
	}
	waitFor(t, "the queues to empty", func() bool { return n.targets[0].q.len()+n.targets[1].q.len() == 0 })
	want := `
# HELP dcplane_notify_alerts_sent_total Alerts (firing or resolved) an Alertmanager accepted.
# TYPE dcplane_notify_alerts_sent_total counter
dcplane_notify_alerts_sent_total{target="` + am1.srv.URL + `"} 2
dcplane_notify_alerts_sent_total{target="` + am2.srv.URL + `/am"} 2
# HELP dcplane_notify_queue_length Alert updates waiting to be posted to an Alertmanager.
# TYPE dcplane_notify_queue_length gauge
dcplane_notify_queue_length{target="` + am1.srv.URL + `"} 0
dcplane_notify_queue_length{target="` + am2.srv.URL + `/am"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"dcplane_notify_alerts_sent_total", "dcplane_notify_queue_length"); err != nil {
		t.Error(err)
	}
	if got, err := testutil.GatherAndCount(reg, "dcplane_notify_latency_seconds"); got != 2 || err != nil {
		t.Errorf("latency: got %d series (%v), want one per Alertmanager", got, err)
	}
}

// TestRetryBackoff: a post Alertmanager fails (5xx) is tried again after
// a backoff that doubles with each failure, and counted by reason.
func TestRetryBackoff(t *testing.T) {
	am := newFakeAM(t, "", func(n int) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	const lo = 40 * time.Millisecond
	n, reg := newTest(t, Config{Alertmanagers: []string{am.srv.URL}, MinBackoff: lo, MaxBackoff: time.Second})
	run(t, n)
	n.Send([]alerts.Alert{rackAlert("K1", 12500)}, t0)
	waitFor(t, "4 posts", func() bool { return len(am.received()) >= 4 })
	waitFor(t, "the queue to empty", func() bool { return n.targets[0].q.len() == 0 })
	got := am.received()
	for i := 1; i < len(got); i++ {
		gap, want := got[i].at.Sub(got[i-1].at), lo<<(i-1)
		if gap < want {
			t.Errorf("retry %d: got %v after the last, want at least %v", i, gap, want)
		}
		if !slices.Equal(got[i].alerts, []string{"K1"}) {
			t.Errorf("retry %d: got %v, want [K1]", i, got[i].alerts)
		}
	}
	if len(got) != 4 {
		t.Errorf("got %d posts, want 4 (3 failed, 1 accepted, no more)", len(got))
	}
	want := `
# HELP dcplane_notify_alerts_sent_total Alerts (firing or resolved) an Alertmanager accepted.
# TYPE dcplane_notify_alerts_sent_total counter
dcplane_notify_alerts_sent_total{target="` + am.srv.URL + `"} 1
# HELP dcplane_notify_errors_total Failed posts to an Alertmanager, by reason: timeout, unreachable, server (5xx: retried), refused (4xx: dropped), other.
# TYPE dcplane_notify_errors_total counter
dcplane_notify_errors_total{reason="other",target="` + am.srv.URL + `"} 0
dcplane_notify_errors_total{reason="refused",target="` + am.srv.URL + `"} 0
dcplane_notify_errors_total{reason="server",target="` + am.srv.URL + `"} 3
dcplane_notify_errors_total{reason="timeout",target="` + am.srv.URL + `"} 0
dcplane_notify_errors_total{reason="unreachable",target="` + am.srv.URL + `"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"dcplane_notify_alerts_sent_total", "dcplane_notify_errors_total"); err != nil {
		t.Error(err)
	}
}

// TestRefusedDropped: alerts Alertmanager refuses as invalid (4xx) are
// dropped, not retried; what comes next is delivered.
func TestRefusedDropped(t *testing.T) {
	am := newFakeAM(t, "", func(n int) int {
		if n == 0 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	n, reg := newTest(t, Config{Alertmanagers: []string{am.srv.URL}, MinBackoff: time.Millisecond})
	run(t, n)
	n.Send([]alerts.Alert{rackAlert("K1", 12500)}, t0)
	waitFor(t, "the refused post", func() bool { return n.targets[0].q.len() == 0 })
	n.Send([]alerts.Alert{rackAlert("K1", 12500), rackAlert("K2", 12500)}, t0.Add(time.Second))
	waitFor(t, "a second post", func() bool { return len(am.received()) >= 2 })
	if got := am.received()[1].alerts; !slices.Equal(got, []string{"K2"}) {
		t.Errorf("second post: got %v, want [K2] (K1 refused, dropped, and not due again)", got)
	}
	if got := testutil.ToFloat64(n.targets[0].m.errors.WithLabelValues(reasonRefused)); got != 1 {
		t.Errorf("refused: got %v, want 1", got)
	}
	_ = reg
}

// TestTargetsIndependent: an Alertmanager that is down backs off on its
// own; the others get every alert at once.
func TestTargetsIndependent(t *testing.T) {
	down := newFakeAM(t, "", func(int) int { return http.StatusInternalServerError })
	up := newFakeAM(t, "", nil)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	dead.Close() // nothing listens there now: connection refused
	n, reg := newTest(t, Config{Alertmanagers: []string{down.srv.URL, deadURL, up.srv.URL},
		MinBackoff: time.Hour})
	run(t, n)
	n.Send([]alerts.Alert{rackAlert("K1", 12500)}, t0)
	waitFor(t, "the alert at the Alertmanager that is up", func() bool { return len(up.received()) == 1 })
	n.Send([]alerts.Alert{rackAlert("K1", 12500), rackAlert("K2", 12500)}, t0.Add(time.Second))
	waitFor(t, "the second alert at the Alertmanager that is up", func() bool { return len(up.received()) == 2 })
	waitFor(t, "the refused connection counted", func() bool {
		return testutil.ToFloat64(n.targets[1].m.errors.WithLabelValues(reasonUnreachable)) == 1
	})
	if got := len(down.received()); got != 1 {
		t.Errorf("down: got %d posts, want 1 (then backing off)", got)
	}
	for i, want := range []int{2, 2, 0} {
		if got := n.targets[i].q.len(); got != want {
			t.Errorf("target %d: got %d waiting, want %d", i, got, want)
		}
	}
	_ = reg
}
