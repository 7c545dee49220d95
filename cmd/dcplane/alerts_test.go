package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

const overID = "RackOverBudget{site=city-dpc,hall=H1,row=H1-R01,rack=H1-R01-K01}"

// startAlertingController runs a single-node controller of a 1-rack site
// that evaluates its alerts every 50 ms, its rack pushed over budget.
func startAlertingController(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := alerts.DemoConfig()
	n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: 30 * time.Second, AccountEvery: 50 * time.Millisecond, Alerts: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.PutSite(ctx, inventory.Reference(1)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	var polls []collectors.Status
	for _, pdu := range []string{"H1-R01-K01-PA", "H1-R01-K01-PB"} {
		polls = append(polls, collectors.Status{Device: pdu, At: time.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 8500}}})
	}
	if _, err := c.Push(ctx, &api.Batch{Agent: "a1", Seq: 1, Polls: polls}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		l, err := c.Alerts(ctx, api.AlertFilter{Rule: "RackOverBudget"})
		if err == nil && len(l.Alerts) == 1 {
			return srv.URL
		}
		if time.Now().After(deadline) {
			t.Fatalf("RackOverBudget did not fire: %+v, %v", l, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

func TestAlertsCLI(t *testing.T) {
	url := startAlertingController(t)
	tests := []struct {
		args     []string
		code     int
		want     []string // in stdout, or stderr when code != 0
		wantNone []string
	}{
		{[]string{"alerts", "ls"}, 0, []string{"SEVERITY", "critical", "firing", "over its 15.0 kW budget", overID}, nil},
		{[]string{"alerts", "ls", "--severity", "warning", "--rule", "RackOverBudget"}, 0, []string{"no alerts"}, nil},
		{[]string{"alerts", "ack", overID, "--by", "ann", "--reason", "moving batch jobs"}, 0, []string{"acknowledged " + overID + " by ann"}, nil},
		{[]string{"alerts", "silence", overID, "--for", "2h", "--by", "bob"}, 0, []string{"silenced " + overID + " until", "by bob"}, nil},
		{[]string{"alerts", "ls", "--rule", "RackOverBudget"}, 0, []string{"ann", "until "}, nil},
		{[]string{"alerts", "ls", "-o", "json", "--rule", "RackOverBudget"}, 0, []string{`"by": "ann"`, `"why": "moving batch jobs"`, `"until"`}, nil},
		{[]string{"alerts", "ack", "TelemetryStale{x=y}", "--by", "ann"}, 1, []string{"not firing"}, nil},
		{[]string{"alerts", "silence", overID, "--by", "ann"}, 2, []string{`alerts silence: give --for DURATION (e.g. --for 2h)`}, nil},
		{[]string{"alerts", "ack"}, 2, []string{"give an alert ID", "Usage: dcplane alerts ack ID"}, nil},
		{[]string{"alerts", "ls", "--status", "asleep"}, 2, []string{`alerts ls --status "asleep": want pending or firing`}, nil}, // a bad flag value: a mistake on the command line (issue 10 F)
		{[]string{"forecast"}, 0, []string{"KIND", "hall", "H1-R01-K01", "unknown", "no history"}, nil},
		{[]string{"forecast", "--row", "H1-R01", "-o", "json"}, 0, []string{`"kind": "row"`, `"status": "unknown"`}, []string{`"kind": "hall"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, append(tt.args, "--controller", url)...)
			text := out
			if tt.code != 0 {
				text = errOut
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("got %s, want %q in it", text, w)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(text, w) {
					t.Errorf("got %s, want no %q in it", text, w)
				}
			}
		})
	}
}

func TestBenchForecastCLI(t *testing.T) {
	code, _, errOut := runCLI(t, "bench", "forecast")
	if code != 2 || !strings.Contains(errOut, "bench forecast: give --trace FILE (the traces are in ../shared/traces/google-power-2019/*.csv)") {
		t.Errorf("without --trace: got %d %s, want 2 naming --trace", code, errOut)
	}
	trace := writeFile(t, "t.csv", "index,time,pdu,measured_power_util\n0,0,p,0.5\n")
	if code, _, errOut := runCLI(t, "bench", "forecast", "--trace", trace); code != 1 || !strings.Contains(errOut, "history too short") {
		t.Errorf("a trace of one sample: got %d %s, want 1, history too short", code, errOut)
	}
}
