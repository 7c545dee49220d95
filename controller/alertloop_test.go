package controller_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// TestAlertsEvaluatedOnPush runs a leader whose evaluation tick is an hour
// away: a push of a rack over its budget still fires RackOverBudget and
// hands it to the notifier within moments, since a push wakes the
// evaluation (issue 6.4's latency: a tick of one poll interval doubled it).
func TestAlertsEvaluatedOnPush(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	fn := &fakeNotifier{}
	n, err := serve.Open(context.Background(), controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(),
		RaftAddr: "127.0.0.1:0", Bootstrap: true, APIURL: url, StaleAfter: staleAfter,
		AccountEvery: time.Hour, Alerts: testAlertConfig(), Notifier: fn})
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
	m := &member{id: "c1", url: url, raftAddr: n.RaftAddr(), n: n, srv: srv, c: c}
	t.Cleanup(m.stop)
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatal(err)
	}
	pushRack(t, c, 1, 16500)
	pushed := time.Now()
	waitUntil(t, "the notifier to be handed RackOverBudget", func() bool { return fn.notifying(overID, time.Now()) })
	if took := time.Since(pushed); took > time.Second {
		t.Errorf("RackOverBudget handed to the notifier %v after the push, want within 1 s", took)
	}
	if a, ok := findAlert(t, c, overID); !ok || a.Status != alerts.StatusFiring {
		t.Errorf("got %+v (listed %v), want %s firing", a, ok, overID)
	}
}
