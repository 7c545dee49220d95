package controller_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// The rack of inventory.Reference(1), and the ID of its over-budget alert.
const (
	alertRack = "H1-R01-K01"
	overID    = "RackOverBudget{site=city-dpc,hall=H1,row=H1-R01,rack=H1-R01-K01}"
)

// alertEvery is how often the test nodes evaluate the rules.
const alertEvery = 50 * time.Millisecond

// testAlertConfig is DemoConfig without what the tests do not feed: the
// cooling units stay unread, and agents push only when a test does.
func testAlertConfig() *alerts.Config {
	c := alerts.DemoConfig()
	c.ClearFor = alerts.Duration(200 * time.Millisecond)
	c.Telemetry.StaleFor = alerts.Duration(time.Hour)
	c.Telemetry.AgentDownAfter = alerts.Duration(time.Hour)
	return &c
}

// fakeNotifier records what a node hands its Notifier.
type fakeNotifier struct {
	mu       sync.Mutex
	sent     []alerts.Alert // the last Send's active alerts
	sends    int
	restored [][]alerts.Alert
}

func (f *fakeNotifier) Send(active []alerts.Alert, _ time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent, f.sends = append([]alerts.Alert(nil), active...), f.sends+1
}

func (f *fakeNotifier) Restore(firing []alerts.Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restored = append(f.restored, append([]alerts.Alert(nil), firing...))
}

// notifying says whether the last Send held id, to be notified at now.
func (f *fakeNotifier) notifying(id string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.sent {
		if a.ID == id && a.Notify(now) {
			return true
		}
	}
	return false
}

// restoredWith says whether some Restore held the firing alert id.
func (f *fakeNotifier) restoredWith(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.restored {
		for _, a := range r {
			if a.ID == id {
				return true
			}
		}
	}
	return false
}

// startAlertMember is startMember with fast alert evaluation and a fake
// notifier.
func startAlertMember(t *testing.T, id, join string) (*member, *fakeNotifier) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	fn := &fakeNotifier{}
	n, err := serve.Open(context.Background(), controller.Config{NoAuth: true, NodeID: id, DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: join == "", Join: join, APIURL: url, StaleAfter: staleAfter,
		HeartbeatTimeout: 600 * time.Millisecond, ElectionTimeout: 600 * time.Millisecond,
		LeaderLeaseTimeout: 300 * time.Millisecond, CommitTimeout: 5 * time.Millisecond,
		AccountEvery: alertEvery, Alerts: testAlertConfig(), Notifier: fn})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: n.Handler()}}
	srv.Start()
	c, err := api.NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &member{id: id, url: url, raftAddr: n.RaftAddr(), n: n, srv: srv, c: c}
	t.Cleanup(m.stop)
	return m, fn
}

// pushRack sends one poll of each PDU of alertRack, drawing watts in all.
// Polls travel with whole seconds: the seq-th is taken seq seconds from
// now, so that each is newer than the one before.
func pushRack(t *testing.T, c *api.Client, seq uint64, watts float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	var polls []collectors.Status
	for _, pdu := range []string{alertRack + "-PA", alertRack + "-PB"} {
		polls = append(polls, collectors.Status{Device: pdu, At: time.Now().Add(time.Duration(seq) * time.Second), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: watts / 2}}})
	}
	if ir, err := c.Push(ctx, &api.Batch{Agent: "a1", Seq: seq, Polls: polls}); err != nil || ir.Accepted != len(polls) {
		t.Fatalf("push: got %+v, %v, want %d polls accepted", ir, err, len(polls))
	}
}

// findAlert returns alert id as c lists it, if it is listed.
func findAlert(t *testing.T, c *api.Client, id string) (alerts.Alert, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	l, err := c.Alerts(ctx, api.AlertFilter{})
	if err != nil {
		return alerts.Alert{}, false // a leader change under way: try again
	}
	for _, a := range l.Alerts {
		if a.ID == id {
			return a, true
		}
	}
	return alerts.Alert{}, false
}

// replicatedFiring says whether the state c's node serves holds alert id
// firing, read through a snapshot of it.
func replicatedFiring(t *testing.T, c *api.Client, id string) (alerts.Alert, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	b, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	var snap struct {
		Alerts *alerts.State `json:"alerts"`
	}
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Alerts == nil {
		return alerts.Alert{}, false
	}
	a, ok := snap.Alerts.Firing[id]
	return a, ok
}

// TestRackOverBudgetAlerts runs one node: a rack pushed over its budget
// raises RackOverBudget at the next evaluation, committed to the Raft
// state and handed to the notifier; it is acked and silenced through the
// API, and resolves once the rack's draw falls.
func TestRackOverBudgetAlerts(t *testing.T) {
	m, fn := startAlertMember(t, "c1", "")
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := m.n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	pushRack(t, m.c, 1, 16500)
	pushed := time.Now()
	waitUntil(t, "RackOverBudget to fire", func() bool { a, ok := findAlert(t, m.c, overID); return ok && a.Status == alerts.StatusFiring })
	// At once: no sustain time, the first evaluation after the push.
	if took := time.Since(pushed); took > 10*alertEvery+time.Second {
		t.Errorf("RackOverBudget fired %v after the push, want within an evaluation (%v)", took, alertEvery)
	}
	if a, ok := replicatedFiring(t, m.c, overID); !ok || a.Value != 16500 || a.Limit != 15000 {
		t.Errorf("replicated state: got %+v (firing %v), want %s firing at 16500 W of 15000 W", a, ok, overID)
	}
	waitUntil(t, "the notifier to be handed the alert", func() bool { return fn.notifying(overID, time.Now()) })

	acked, err := m.c.AckAlert(ctx, overID, "ann", "moving the batch jobs")
	if err != nil || acked.Ack == nil || acked.Ack.By != "ann" || acked.Ack.Why != "moving the batch jobs" {
		t.Fatalf("ack: got %+v, %v, want acked by ann", acked, err)
	}
	if a, _ := replicatedFiring(t, m.c, overID); a.Ack == nil || a.Ack.By != "ann" {
		t.Errorf("replicated ack: got %+v, want ann's", a.Ack)
	}
	waitUntil(t, "the listed alert to show the ack", func() bool { a, _ := findAlert(t, m.c, overID); return a.Ack != nil && a.Ack.By == "ann" })
	sil, err := m.c.SilenceAlert(ctx, overID, "bob", "maintenance", 2*time.Hour)
	if err != nil || sil.By != "bob" || sil.Until.Sub(sil.At) != 2*time.Hour {
		t.Fatalf("silence: got %+v, %v, want bob's for 2h", sil, err)
	}
	waitUntil(t, "the notifier to stop notifying the silenced alert", func() bool { return !fn.notifying(overID, time.Now()) })
	if a, _ := findAlert(t, m.c, overID); a.Silence == nil || a.Status != alerts.StatusFiring {
		t.Errorf("silenced alert: got %+v, want it firing with its silence", a)
	}
	checkAlertMetrics(t, m.url)

	pushRack(t, m.c, 2, 9000)
	waitUntil(t, "RackOverBudget to resolve", func() bool { _, ok := findAlert(t, m.c, overID); return !ok })
	if _, ok := replicatedFiring(t, m.c, overID); ok {
		t.Errorf("replicated state: %s still firing after it resolved", overID)
	}
	if _, err := m.c.AckAlert(ctx, overID, "ann", ""); !isProblem(err, http.StatusNotFound, "id") {
		t.Errorf("ack of a resolved alert: got %v, want a 404 naming id", err)
	}
}

// isProblem says whether err is a problem of that status naming field.
func isProblem(err error, status int, field string) bool {
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != status {
		return false
	}
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// checkAlertMetrics checks that /metrics has the firing alert and the
// transitions committed.
func checkAlertMetrics(t *testing.T, url string) {
	t.Helper()
	_, body := get(t, url+"/metrics")
	for _, want := range []string{
		`dcplane_alerts_firing{alertname="RackOverBudget",severity="critical"} 1`,
		`dcplane_alerts_firing{alertname="AgentDown",severity="critical"} 0`,
		`dcplane_alert_transitions_total{kind="acked"} 1`,
		`dcplane_alert_transitions_total{kind="silenced"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics: want %s in it", want)
		}
	}
}

// TestAlertRequestsRefused sends acks and silences the API refuses, each
// with the field at fault named.
func TestAlertRequestsRefused(t *testing.T) {
	m, _ := startAlertMember(t, "c1", "")
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := m.n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, user, body string
		status                 int
		field                  string
	}{
		{"ack without a name", "/v1/alerts/" + overID + "/ack", "", `{}`, 422, api.HeaderUser},
		{"ack of what does not fire", "/v1/alerts/" + overID + "/ack", "ann", `{"reason":"x"}`, 404, "id"},
		{"ack with an unknown field", "/v1/alerts/" + overID + "/ack", "ann", `{"why":"x"}`, 422, "why"},
		{"silence without a duration", "/v1/alerts/" + overID + "/silence", "ann", `{}`, 422, "for"},
		{"silence too long", "/v1/alerts/" + overID + "/silence", "ann", `{"for":"9000h"}`, 422, "for"},
		{"silence of no rule", "/v1/alerts/NoSuchRule{rack=x}/silence", "ann", `{"for":"1h"}`, 422, "id"},
		{"list by an unknown status", "/v1/alerts?status=asleep", "", "", 422, "status"},
		{"list by an unknown rule", "/v1/alerts?rule=Nope", "", "", 422, "rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodPost
			if tt.body == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, m.url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", api.MediaJSON)
			}
			if tt.user != "" {
				req.Header.Set(api.HeaderUser, tt.user)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p api.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != api.MediaProblem || len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
				t.Errorf("got %d %s %+v, want %d problem+json naming %s", res.StatusCode, res.Header.Get("Content-Type"), p, tt.status, tt.field)
			}
		})
	}
}

// TestAlertStateSurvivesFailover runs 3 nodes: an alert raised and acked
// through followers is in every node's state; once the leader is closed,
// the new leader lists it firing with its ack and hands it to its
// notifier again.
func TestAlertStateSurvivesFailover(t *testing.T) {
	n1, _ := startAlertMember(t, "n1", "")
	n2, fn2 := startAlertMember(t, "n2", n1.url)
	waitUntil(t, "n2 to join", func() bool { return len(status(t, n1).Members) == 2 })
	n3, fn3 := startAlertMember(t, "n3", n2.url)
	ms := []*member{n1, n2, n3}
	waitUntil(t, "every node to know every member", func() bool {
		for _, m := range ms {
			if st := status(t, m); st.Ready != "ok" || len(st.Members) != 3 {
				return false
			}
		}
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if _, err := n2.c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	pushRack(t, n3.c, 1, 17000) // forwarded to the leader, n1
	waitUntil(t, "RackOverBudget to fire", func() bool { a, ok := findAlert(t, n2.c, overID); return ok && a.Status == alerts.StatusFiring })
	if _, err := n3.c.AckAlert(ctx, overID, "ann", "on it"); err != nil {
		t.Fatalf("ack through a follower: %v", err)
	}
	sameState(t, ms)

	n1.stop()
	rest := []*member{n2, n3}
	var leader *member
	waitUntil(t, "a new leader", func() bool {
		for _, m := range rest {
			if st := status(t, m); st.State == "Leader" && st.Ready == "ok" {
				leader = m
				return true
			}
		}
		return false
	})
	waitUntil(t, "the new leader to list the alert firing, acked", func() bool {
		a, ok := findAlert(t, leader.c, overID)
		return ok && a.Status == alerts.StatusFiring && a.Ack != nil && a.Ack.By == "ann" && a.Ack.Why == "on it"
	})
	fn := map[*member]*fakeNotifier{n2: fn2, n3: fn3}[leader]
	waitUntil(t, "the new leader's notifier to take the firing alert", func() bool { return fn.restoredWith(overID) })
	waitUntil(t, "the new leader to notify it", func() bool { return fn.notifying(overID, time.Now()) })
}

// TestAlertsFollowRestoredBackup restores a backup taken before an alert
// fired: the leader's evaluator follows the restored state (the alert is
// no longer in it, nor its ack) and, the rack still over budget, fires it
// again into the state.
func TestAlertsFollowRestoredBackup(t *testing.T) {
	m, _ := startAlertMember(t, "c1", "")
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := m.n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	before, err := m.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pushRack(t, m.c, 1, 16500)
	waitUntil(t, "RackOverBudget in the state", func() bool { _, ok := replicatedFiring(t, m.c, overID); return ok })
	if _, err := m.c.AckAlert(ctx, overID, "ann", ""); err != nil {
		t.Fatal(err)
	}
	if err := m.c.RestoreSnapshot(ctx, before); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "RackOverBudget fired again, without the old ack", func() bool {
		a, ok := replicatedFiring(t, m.c, overID)
		return ok && a.Ack == nil
	})
}

// TestAgentDown: an agent heard once and then silent raises AgentDown
// once AgentDownAfter has passed.
func TestAgentDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testAlertConfig()
	cfg.Telemetry.AgentDownAfter = alerts.Duration(300 * time.Millisecond)
	n, err := serve.Open(context.Background(), controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: staleAfter, AccountEvery: alertEvery, Alerts: cfg})
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: n.Handler()}}
	srv.Start()
	c, err := api.NewClient("http://"+ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &member{id: "c1", n: n, srv: srv, c: c}
	t.Cleanup(m.stop)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	pushRack(t, c, 1, 9000)
	id := "AgentDown{site=city-dpc,agent=a1}"
	waitUntil(t, id+" to fire", func() bool { a, ok := findAlert(t, c, id); return ok && a.Status == alerts.StatusFiring })
}
