package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	"github.com/prometheus/alertmanager/api/v2/client/alert"
	"github.com/prometheus/alertmanager/api/v2/models"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestAlertmanager delivers a rack over budget, judged by the real alert
// rules, to Debian's Alertmanager: the alert shows in its API with the
// labels and annotations dcplane gives it and reaches a webhook receiver;
// once the rack's draw falls, it is resolved at once (long before its
// EndsAt), leaves the API's active alerts and the receiver is told.
func TestAlertmanager(t *testing.T) {
	hook := newWebhook(t)
	am := startAlertmanager(t, hook.srv.URL)
	ev, err := alerts.NewEvaluator(e2eConfig())
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Alertmanagers: []string{am}, ResendInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	run(t, n)

	now := time.Now()
	res := ev.Evaluate(rackDrawing(16000, now), now) // 16 kW on a 15 kW rack
	over := findRule(res.Active, alerts.RackOverBudget)
	if over == nil || over.Status != alerts.StatusFiring {
		t.Fatalf("got active %v, want RackOverBudget firing", res.Active)
	}
	n.Send(res.Active, now)

	var got *models.GettableAlert
	waitFor(t, "the alert in Alertmanager's /api/v2/alerts", func() bool {
		got = findAM(t, am, over.Labels())
		return got != nil
	})
	if !maps.Equal(got.Labels, over.Labels()) {
		t.Errorf("labels: got %v, want %v", got.Labels, over.Labels())
	}
	if !maps.Equal(got.Annotations, over.Annotations()) {
		t.Errorf("annotations: got %v, want %v", got.Annotations, over.Annotations())
	}
	for _, k := range []string{"alertname", "severity", "site", "hall", "row", "rack"} {
		if got.Labels[k] == "" {
			t.Errorf("label %s: got none, want one", k)
		}
	}
	if *got.Status.State != "active" {
		t.Errorf("state: got %s, want active", *got.Status.State)
	}
	if end := time.Time(*got.EndsAt); end.Sub(now) < 2*time.Minute {
		t.Errorf("endsAt: got %v, want 3 resend intervals after %v", end, now)
	}
	waitFor(t, "the firing notification at the webhook", func() bool { return hook.saw("firing", over.Labels()) })

	// Alertmanager takes a resolve only with an EndsAt already past on its
	// clock (a later one is an update of a firing alert, whose EndsAt it
	// keeps): the leader's clock, as here, and Alertmanager's must agree.
	later := time.Now()
	res = ev.Evaluate(rackDrawing(4000, later), later)
	if a := findRule(res.Active, alerts.RackOverBudget); a != nil {
		t.Fatalf("got %v, want RackOverBudget resolved", a)
	}
	n.Send(res.Active, later)
	waitFor(t, "the alert to leave the active alerts", func() bool { return findAM(t, am, over.Labels()) == nil })
	waitFor(t, "the resolved notification at the webhook", func() bool { return hook.saw("resolved", over.Labels()) })
	if time.Since(now) > time.Minute {
		t.Errorf("resolved after %v: want well before its EndsAt", time.Since(now))
	}
}

// e2eConfig is DefaultConfig resolving at once below the clear level.
func e2eConfig() alerts.Config {
	c := alerts.DefaultConfig()
	c.ClearFor = 0
	return c
}

// rackDrawing is a site of one 15 kW rack, K1, fed A/B by two three-phase
// 230 V 32 A PDUs sharing w watts.
func rackDrawing(w float64, now time.Time) alerts.Input {
	pdu := func(id, feed string) inventory.PDU {
		return inventory.PDU{ID: id, Feed: feed, Phases: 3, VoltageV: 230, BreakerA: 32}
	}
	site := &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "H1-R01",
		Racks: []inventory.Rack{{ID: "H1-R01-K01", BudgetKW: 15, Feeds: []string{"A", "B"},
			PDUs: []inventory.PDU{pdu("H1-R01-K01-PA", "A"), pdu("H1-R01-K01-PB", "B")}}},
	}}}}}
	half := w / 2
	dev := alerts.Device{Fresh: true, LastOK: now, Watts: &half}
	return alerts.Input{Site: site, Since: now.Add(-time.Hour),
		Devices: map[string]alerts.Device{"H1-R01-K01-PA": dev, "H1-R01-K01-PB": dev}}
}

func findRule(as []alerts.Alert, r alerts.Rule) *alerts.Alert {
	for i := range as {
		if as[i].Rule == r {
			return &as[i]
		}
	}
	return nil
}

// findAM returns the alert of these labels among Alertmanager's active
// alerts, asked through its own client.
func findAM(t *testing.T, base string, labels map[string]string) *models.GettableAlert {
	t.Helper()
	rt := httptransport.New(base[len("http://"):], amclient.DefaultBasePath, []string{"http"})
	ok, err := amclient.New(rt, strfmt.Default).Alert.GetAlerts(alert.NewGetAlertsParamsWithContext(context.Background()))
	if err != nil {
		t.Fatalf("GET /api/v2/alerts: %v", err)
	}
	for _, a := range ok.Payload {
		if maps.Equal(a.Labels, labels) {
			return a
		}
	}
	return nil
}

// webhook is an Alertmanager webhook receiver: it records the status and
// labels of each alert of each notification.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string // "status labels"
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		for _, a := range msg.Alerts {
			h.seen = append(h.seen, a.Status+" "+fmt.Sprint(a.Labels))
		}
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// saw says whether a notification carried the alert of labels in status.
func (h *webhook) saw(status string, labels map[string]string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.seen, status+" "+fmt.Sprint(labels))
}

// startAlertmanager runs Debian's prometheus-alertmanager on loopback,
// routing every alert to the webhook at once, and returns its URL once it
// is ready.
func startAlertmanager(t *testing.T, webhookURL string) string {
	bin := peer.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	conf := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, rack]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, webhookURL)
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeport.Addr()
	var out peer.Log
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", out.String())
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-exited:
			t.Fatalf("alertmanager exited:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready at %s after 15 s:\n%s", url, out.String())
		}
	}
}
