package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestAlertmanagerInhibits runs Debian's Alertmanager on the example
// configuration and posts pairs of alerts, each as dcplane and Prometheus
// label them: every inhibition rule silences its consequence on the same
// object and nothing on another one. Every rule of the file is tried, so
// a rule added without a case here fails the test.
func TestAlertmanagerInhibits(t *testing.T) {
	bin := peer.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	var cfg struct {
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
		} `yaml:"inhibit_rules"`
	}
	readYAML(t, amConfig, &cfg)

	rack := func(name, rack string) map[string]string {
		return map[string]string{"alertname": name, "site": "dpc1", "hall": "H1", "row": "H1-R01", "rack": rack}
	}
	agent := func(name, agent string) map[string]string {
		return map[string]string{"alertname": name, "agent": agent, "source": "prometheus"}
	}
	cases := []struct {
		rule             int // the inhibit rule's index in the file
		source           map[string]string
		inhibited, other map[string]string // the consequence on the same object, and on another
	}{
		{0, rack("RackOverBudget", "H1-R01-K01"), rack("RackPowerWarning", "H1-R01-K01"), rack("RackPowerWarning", "H1-R01-K02")},
		{0, rack("RackPowerCritical", "H1-R01-K03"), rack("RackPowerWarning", "H1-R01-K03"), rack("RackPowerWarning", "H1-R01-K04")},
		{1, rack("RackOverBudget", "H1-R01-K05"), rack("RackPowerCritical", "H1-R01-K05"), rack("RackPowerCritical", "H1-R01-K06")},
		// No leader: every agent's unreachable alert is its consequence;
		// the other is an alert that the rule does not cover.
		{2, map[string]string{"alertname": "ControllerNoLeader", "source": "prometheus"}, agent("AgentControllerUnreachable", "a1"), agent("AgentDown", "a1")},
	}
	tried := map[int]bool{}
	for _, c := range cases {
		tried[c.rule] = true
	}
	for i, r := range cfg.InhibitRules {
		if !tried[i] {
			t.Errorf("inhibit rule %d (source %v): got no case, want one", i, r.SourceMatchers)
		}
	}

	dir := t.TempDir()
	addr := freeport.Addr()
	base := startPeer(t, bin, "http://"+addr, "--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	var posted []map[string]any
	now := time.Now().UTC()
	for _, c := range cases {
		for _, ls := range []map[string]string{c.source, c.inhibited, c.other} {
			posted = append(posted, map[string]any{"labels": ls, "startsAt": now.Format(time.RFC3339), "endsAt": now.Add(time.Hour).Format(time.RFC3339)})
		}
	}
	body, err := json.Marshal(posted)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: got %s, want 200", resp.Status)
	}

	// The inhibitor learns of the sources from Alertmanager's alert store
	// a moment after the post; until then every alert is active.
	// The check below says which rule failed.
	suppressed := func(got map[string]amAlert) bool {
		for _, c := range cases {
			if got[fmt.Sprint(c.inhibited)].Status.State != "suppressed" {
				return false
			}
		}
		return true
	}
	got := amAlerts(t, base)
	for deadline := time.Now().Add(15 * time.Second); !suppressed(got) && time.Now().Before(deadline); got = amAlerts(t, base) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range cases {
		for _, w := range []struct {
			ls   map[string]string
			want string
		}{{c.source, "active"}, {c.inhibited, "suppressed"}, {c.other, "active"}} {
			a, ok := got[fmt.Sprint(w.ls)]
			if !ok {
				t.Errorf("rule %d: %v: got no such alert from Alertmanager", c.rule, w.ls)
				continue
			}
			if a.Status.State != w.want {
				t.Errorf("rule %d: %v: got %s (inhibited by %v), want %s", c.rule, w.ls, a.Status.State, a.Status.InhibitedBy, w.want)
			}
		}
	}
	if t.Failed() {
		b, _ := os.ReadFile(amConfig)
		t.Logf("configuration:\n%s", b)
	}
}

// amAlert is an alert as Alertmanager's API v2 lists it.
type amAlert struct {
	Labels map[string]string
	Status struct {
		State       string // active, suppressed
		InhibitedBy []string
	}
}

// amAlerts lists Alertmanager's alerts by their labels (fmt.Sprint of
// the map: its keys sorted).
func amAlerts(t *testing.T, base string) map[string]amAlert {
	t.Helper()
	var list []amAlert
	if err := json.Unmarshal([]byte(get(t, base+"/api/v2/alerts")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]amAlert{}
	for _, a := range list {
		out[fmt.Sprint(a.Labels)] = a
	}
	return out
}
