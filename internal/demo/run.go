package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Run starts the demo, writes to out where it listens, places c.Workloads
// (saying what did not fit) and then writes a line of live figures every
// c.SummaryEvery, until ctx is done (nil: the user stopped it) or a part of
// the demo fails (its error). It stops everything before it returns.
func Run(ctx context.Context, c Config, out io.Writer) error {
	d, err := Start(ctx, c)
	if err != nil {
		return err
	}
	defer d.Close()
	dir := c.Dir
	if dir == "" {
		dir = d.tmpDir // Start made it, and wrote the community there
	}
	d.banner(out, CommunityFile(dir), c.Silence)
	if len(c.Workloads) > 0 {
		if _, err := d.PlaceWorkloads(ctx, c.Workloads, out); err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(out, "stopping")
				return nil
			}
			return err
		}
	}
	return d.summaries(ctx, out, c.SummaryEvery)
}

// banner says what runs, where it listens, how to try it, how to probe one
// of its devices (one that answers: not one of silenced, with the file
// holding their community) and its scenarios.
func (d *Demo) banner(w io.Writer, communityFile string, silenced []string) {
	c := d.site.Count()
	// First, before anything else: this is not how production runs.
	fmt.Fprintln(w, `dcplane demo: running WITHOUT TLS, on loopback only: a lab, not production (dcplane controller and agent run over mutual TLS: see "Running it for real" in README.md)`)
	fmt.Fprintf(w, `dcplane demo: site %s, %d halls, %d rows, %d racks (budget %.2f MW), %d PDUs, %d cooling units
  simulator  %d SNMP agents on 127.0.0.1 (UDP, one port each)
  API        %s/v1/racks   %s/v1/power
  metrics    %s/metrics
  try        export DCPLANE_CONTROLLER=%s
             export DCPLANE_TOKEN=%s
             go run ./cmd/dcplane rack ls | head
             go run ./cmd/dcplane power
             go run ./cmd/dcplane placement ls
             go run ./cmd/dcplane alerts ls
`, d.site.Name, c.Halls, c.Rows, c.Racks, c.BudgetWatts/1e6, c.PDUs, c.CoolingUnits, d.sim.Devices(),
		d.apiURL, d.apiURL, d.apiURL, d.apiURL, d.token)
	if d.bmcs > 0 {
		fmt.Fprintf(w, "  BMCs       %d simulated BMCs (IPMI v2.0, RMCP+) for the servers of the first racks; their password is in %s\n", d.bmcs, d.bmcPassword)
		fmt.Fprintf(w, "             go run ./cmd/dcplane server ls --rack %s\n", d.firstBMCRack())
	}
	d.vendorBanner(w)
	if d.loadNote != "" {
		fmt.Fprintf(w, "  load       %s\n", d.loadNote)
	}
	probeHint(w, d.site, communityFile, silenced)
	fmt.Fprint(w, "  The token is the cluster's first admin token (also in raft/admin-token of the demo's directory);\n  dcplane token create --role viewer --name NAME makes others.\n")
	fmt.Fprint(w, "Ctrl-C stops it.\n\n")
}

// summaries prints a line of live figures every period until ctx is done
// (nil: the user stopped it) or a part of the demo fails (its error).
func (d *Demo) summaries(ctx context.Context, w io.Writer, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(w, "stopping")
			return nil
		case err := <-d.errs:
			return fmt.Errorf("demo stopped: %w", err)
		case <-t.C:
			fmt.Fprintln(w, d.summary(ctx))
		}
	}
}

func (d *Demo) summary(ctx context.Context) string {
	rep, err := d.node.Report(ctx)
	if err != nil {
		return "summary: " + err.Error()
	}
	count := map[string]int{}
	var placed, reserved float64 // declared
	for _, k := range rep.Racks {
		count[k.Status]++
		placed += k.PlacedWatts
		reserved += k.ReservedWatts
	}
	s := rep.Site
	draw := fmt.Sprintf("%.3f MW", s.DrawWatts/1e6)
	if !s.Complete {
		draw = "≥ " + draw // stale racks are not counted
	}
	share := ""
	if s.BudgetWatts > 0 {
		share = fmt.Sprintf(" (%.1f %%)", 100*(placed+reserved)/s.BudgetWatts)
	}
	line := fmt.Sprintf("%s  draw %s of %.3f MW budget  placed %.3f + reserved %.3f MW%s  racks: %d ok, %d warn, %d over, %d stale",
		rep.At.Format("15:04:05"), draw, s.BudgetWatts/1e6, placed/1e6, reserved/1e6, share,
		count["ok"], count["warn"], count["over"], count["stale"])
	// A batch or two is normal: the one being pushed. More is a backlog.
	if n := d.agent.Buffered(); n > 2 {
		line += fmt.Sprintf("  agent backlog: %d batches", n)
	}
	return line + d.alertSummary(ctx) + d.vendorSummary(rep.Racks)
}

// maxSummaryAlerts is how many firing alerts the summary names.
const maxSummaryAlerts = 3

// alertSummary is the summary's part about firing alerts: how many, and
// the first few, critical first.
func (d *Demo) alertSummary(ctx context.Context) string {
	l, err := d.node.Alerts(ctx)
	if err != nil {
		return ""
	}
	var names []string
	critical := 0
	for _, a := range l.Alerts {
		if a.Status == alerts.StatusFiring {
			names = append(names, string(a.Rule)+" "+a.Object.String())
			if a.Severity == alerts.Critical {
				critical++
			}
		}
	}
	if len(names) == 0 {
		return "  alerts: none firing"
	}
	s := fmt.Sprintf("  alerts: %d critical, %d warning firing: %s", critical, len(names)-critical,
		strings.Join(names[:min(len(names), maxSummaryAlerts)], ", "))
	if len(names) > maxSummaryAlerts {
		s += fmt.Sprintf(" and %d more (dcplane alerts ls)", len(names)-maxSummaryAlerts)
	}
	return s
}

// firstBMCRack is the rack of the site's first server with a BMC.
func (d *Demo) firstBMCRack() string {
	rack := ""
	d.site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, s := range k.Servers {
			if s.BMC != nil {
				rack = k.ID
				return false
			}
		}
		return true
	})
	return rack
}
