package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestOverloadAlertsReachAlertmanager runs the demo with a rack pushed over
// its budget and Debian's Alertmanager as its delivery: RackOverBudget
// shows in the demo's summary and arrives in Alertmanager's /api/v2/alerts
// with its labels; once the rack's load falls, it resolves there.
func TestOverloadAlertsReachAlertmanager(t *testing.T) {
	am := startAlertmanager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	const rack = "H1-R01-K01"
	d, err := Start(ctx, Config{Site: inventory.Reference(2), HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.5,
		Overload: []string{rack}, Alertmanagers: []string{am}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	started := time.Now()
	labels := map[string]string{"alertname": "RackOverBudget", "severity": "critical", "rack": rack, "row": "H1-R01", "hall": "H1"}
	waitFor(ctx, t, "RackOverBudget in Alertmanager", func() error { return amHas(am, labels, true) })
	// At once: the first poll past the budget, one evaluation, one post.
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("RackOverBudget reached Alertmanager %v after the start, want a few poll intervals", took)
	}
	if s := d.summary(ctx); !strings.Contains(s, "RackOverBudget rack "+rack) {
		t.Errorf("summary: got %q, want RackOverBudget of %s named", s, rack)
	}
	r, err := d.Sim().Rack(rack)
	if err != nil {
		t.Fatal(err)
	}
	r.Release() // back to its model's load, half its budget
	waitFor(ctx, t, "RackOverBudget resolved in Alertmanager", func() error { return amHas(am, labels, false) })
}

// amHas says (nil) whether Alertmanager's active alerts hold one with
// labels (want) or none (!want).
func amHas(base string, labels map[string]string, want bool) error {
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var got []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return err
	}
	found := false
	for _, a := range got {
		match := a.Status.State == "active"
		for k, v := range labels {
			match = match && a.Labels[k] == v
		}
		found = found || match
	}
	if found != want {
		return fmt.Errorf("active alerts %v: want %v with %v", got, want, labels)
	}
	return nil
}

// startAlertmanager runs Debian's prometheus-alertmanager on loopback with
// a receiver that sends nothing, and returns its URL once it is ready.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := peer.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	conf := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(conf, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out peer.Log
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
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
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	waitFor(ctx, t, "Alertmanager ready", func() error {
		select {
		case <-exited:
			t.Fatalf("alertmanager exited:\n%s", out.String())
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return url
}
