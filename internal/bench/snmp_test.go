package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestSNMPBench runs the SNMP bench's harness on a small fleet served in
// this process: both pollers read every family without a failure, the
// simulated agents count the requests of each, and the exporter's modules
// load. It fails under CI=true when snmp_exporter is missing.
func TestSNMPBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts snmp_exporter and polls for a second")
	}
	exporter := peer.Require(t, "prometheus-snmp-exporter", "prometheus-snmp-exporter")
	c := SNMPConfig{Duration: 400 * time.Millisecond, Workers: 4, Timeout: 2 * time.Second,
		Exporter: exporter, Recordings: peer.Recordings(t)}.withDefaults()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pdus := 2 * len(snmpFamilies)
	rows, err := c.measureInProcess(ctx, pdus)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Poller != "dcplane" || rows[1].Poller != "snmp_exporter" {
		t.Fatalf("rows: got %+v, want dcplane's and snmp_exporter's", rows)
	}
	for _, r := range rows {
		t.Logf("%s: %.0f polls/s, %.3f CPU s/1000 polls, %.1f requests/poll, %.0f MiB", r.Poller,
			r.PollsPerSec.Median, r.CPUPerKPoll.Median, r.RequestsPerPoll.Median, r.RSSMiB.Median)
		if r.PDUs != pdus || r.PollsPerSec.Median <= 0 || r.FailedPerSec.Max != 0 || r.Failure != "" {
			t.Errorf("%s: got %d PDUs, %v polls/s, %v failed/s (%s), want %d PDUs polled without a failure",
				r.Poller, r.PDUs, r.PollsPerSec.Median, r.FailedPerSec.Max, r.Failure, pdus)
		}
		if r.CPUPerKPoll.Median <= 0 || r.RSSMiB.Median <= 0 || r.RequestsPerPoll.Median < 1 {
			t.Errorf("%s: got %v CPU s/1000 polls, %v MiB, %v requests/poll, want each measured",
				r.Poller, r.CPUPerKPoll.Median, r.RSSMiB.Median, r.RequestsPerPoll.Median)
		}
	}
	// The same objects: the exporter walks each column on its own, the
	// collector the columns of a poll together.
	if rows[0].RequestsPerPoll.Median >= rows[1].RequestsPerPoll.Median {
		t.Errorf("requests per poll: dcplane %v, snmp_exporter %v; want fewer from dcplane",
			rows[0].RequestsPerPoll.Median, rows[1].RequestsPerPoll.Median)
	}
}

func TestSNMPGoals(t *testing.T) {
	row := func(poller string, pps, failed, cpu float64) SNMPRow {
		return SNMPRow{PDUs: 1000, Poller: poller, PollsPerSec: SpreadOf([]float64{pps}),
			FailedPerSec: SpreadOf([]float64{failed}), CPUPerKPoll: SpreadOf([]float64{cpu})}
	}
	tests := []struct {
		name string
		rows []SNMPRow
		want string
	}{
		{name: "both met", rows: []SNMPRow{row("dcplane", 2000, 0, 0.2), row("snmp_exporter", 500, 0, 0.7)},
			want: "3.5x dcplane's CPU per device poll (goal >= 3: met); dcplane 2000 polls/s on 1 core(s), 0.0 failed/s (goal >= 1,500/s on 1 core, none failed: met)"},
		{name: "CPU ratio short", rows: []SNMPRow{row("dcplane", 2000, 0, 0.2), row("snmp_exporter", 500, 0, 0.5)},
			want: "2.5x dcplane's CPU per device poll (goal >= 3: NOT met)"},
		{name: "a failure", rows: []SNMPRow{row("dcplane", 2000, 0.1, 0.2), row("snmp_exporter", 500, 0, 0.6)},
			want: "0.1 failed/s (goal >= 1,500/s on 1 core, none failed: NOT met)"},
		{name: "too slow", rows: []SNMPRow{row("dcplane", 1400, 0, 0.2), row("snmp_exporter", 500, 0, 0.6)},
			want: "dcplane 1400 polls/s on 1 core(s), 0.0 failed/s (goal >= 1,500/s on 1 core, none failed: NOT met)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := SNMPResult{Cores: 1, Pollers: tt.rows}.Goals()
			if len(g) != 1 || !strings.Contains(g[0], tt.want) {
				t.Errorf("got %q, want it to say %q", g, tt.want)
			}
		})
	}
}

func TestScrapedPDUs(t *testing.T) {
	n, err := scrapedPDUs(strings.NewReader("# HELP x\nsnmp_scrape_walk_duration_seconds 0.01\nsnmp_scrape_pdus_returned 42\n"))
	if err != nil || n != 42 {
		t.Errorf("got %v, %v, want 42", n, err)
	}
	if _, err := scrapedPDUs(strings.NewReader("snmp_error 1\n")); err == nil {
		t.Error("an answer without snmp_scrape_pdus_returned: got no error")
	}
}
