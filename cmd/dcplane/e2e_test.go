package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"

	"github.com/dcplane/dcplane/internal/peer"
)

// eventually polls cond every 20 ms until it returns nil or d passes, and
// returns how long it took.
func eventually(t *testing.T, what string, d time.Duration, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < d {
		if err = cond(); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("after %v, still not %s: %v", d, what, err)
	return 0
}

// TestEndToEnd runs simulator, agent and controller on real loopback
// sockets, as the demo does, and checks the path from a PDU to the API.
func TestEndToEnd(t *testing.T) {
	const interval = time.Second
	site := inventory.Reference(4)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	// An Alertmanager that takes every alert, so that the delivery's series
	// (per Alertmanager) exist for the dashboards' check below.
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer am.Close()
	d, err := demo.Start(ctx, demo.Config{Site: site, Dir: dir, HTTPAddr: "127.0.0.1:0", Interval: interval, Level: 0.5,
		Logger: slog.New(slog.DiscardHandler), Alertmanagers: []string{am.URL}})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			cancel()
			d.Close()
			stopped = true
		}
	}
	defer stop()
	c := d.Client()

	eventually(t, "every rack known", 10*interval, func() error {
		l, err := c.Racks(ctx, api.RackFilter{})
		if err != nil {
			return err
		}
		for _, k := range l.Racks {
			if k.DrawWatts == nil {
				return errors.New(k.ID + " is " + k.Status)
			}
		}
		return nil
	})

	t.Run("a changed load reaches the API within two poll intervals", func(t *testing.T) {
		r, err := d.Sim().Rack("H1-R01-K01")
		if err != nil {
			t.Fatal(err)
		}
		r.Set(12345)
		took := eventually(t, "showing the new draw", 10*interval, func() error {
			k, err := c.Rack(ctx, "H1-R01-K01")
			if err != nil {
				return err
			}
			// Each PDU reports hundredths of kW: within 10 W each.
			if k.DrawWatts == nil || *k.DrawWatts < 12345-20 || *k.DrawWatts > 12345+20 {
				return errors.New("draw not yet 12345 W")
			}
			return nil
		})
		if took > 2*interval {
			t.Errorf("got the new draw after %v, want within two poll intervals (%v)", took, 2*interval)
		}
	})

	t.Run("a silent PDU makes its rack stale, not 0 W", func(t *testing.T) {
		dev, err := d.Sim().Device("H1-R01-K02-PA")
		if err != nil {
			t.Fatal(err)
		}
		dev.Silence(true)
		var k *power.Rack
		eventually(t, "stale", 10*interval, func() error {
			if k, err = c.Rack(ctx, "H1-R01-K02"); err != nil {
				return err
			}
			if k.Status != power.StatusStale {
				return errors.New("status " + k.Status)
			}
			return nil
		})
		if k.DrawWatts != nil || k.HeadroomWatts != nil || k.UsedRatio != nil {
			t.Errorf("got draw %v headroom %v used %v, want all unknown (null)", k.DrawWatts, k.HeadroomWatts, k.UsedRatio)
		}
		if p := k.PDUs[0]; p.PowerWatts != nil || p.StaleReason == "" {
			t.Errorf("got PDU A power %v reason %q, want unknown with a reason", p.PowerWatts, p.StaleReason)
		}
		// It may first go stale as too-old; the failed poll, once reported,
		// says why.
		eventually(t, "reported as a failed poll", 5*interval, func() error {
			k, err := c.Rack(ctx, "H1-R01-K02")
			if err == nil && !strings.HasPrefix(k.PDUs[0].StaleReason, "poll-failed: timeout") {
				err = errors.New("reason " + k.PDUs[0].StaleReason)
			}
			return err
		})
		if p := k.PDUs[1]; p.PowerWatts == nil {
			t.Error("got PDU B unknown, want its reading: only A is silent")
		}
		sum, err := c.Power(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Site.Complete || sum.Site.HeadroomWatts != nil || sum.Site.StaleRacks != 1 {
			t.Errorf("got site complete=%v headroom=%v stale=%d, want incomplete, unknown headroom, 1 stale rack",
				sum.Site.Complete, sum.Site.HeadroomWatts, sum.Site.StaleRacks)
		}
		metrics := scrape(t, d.URL())
		if !strings.Contains(metrics, `dcplane_rack_power_watts{hall="H1",rack="H1-R01-K01",row="H1-R01"} `) {
			t.Error("got no dcplane_rack_power_watts sample for a fresh rack")
		}
		if strings.Contains(metrics, `dcplane_rack_power_watts{hall="H1",rack="H1-R01-K02",row="H1-R01"}`) {
			t.Error("got a dcplane_rack_power_watts sample for the stale rack, want none")
		}
		if !strings.Contains(metrics, `dcplane_rack_telemetry_stale{hall="H1",rack="H1-R01-K02",row="H1-R01"} 1`) {
			t.Error("got no dcplane_rack_telemetry_stale 1 for the stale rack")
		}
		// The hall's exact draw is unknown, but its known part and how many
		// racks it lacks are there for the dashboards.
		for _, want := range []string{`dcplane_hall_stale_racks{hall="H1"} 1`, `dcplane_hall_power_known_watts{hall="H1"} `, `dcplane_site_stale_racks{site="city-dpc"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("got no %s in the metrics", want)
			}
		}
		if strings.Contains(metrics, `dcplane_hall_power_watts{hall="H1"}`) {
			t.Error("got dcplane_hall_power_watts for a hall with a stale rack, want it absent")
		}
		if !strings.Contains(metrics, `dcplane_hall_power_watts{hall="H2"} `) {
			t.Error("got no dcplane_hall_power_watts for the complete hall H2")
		}
		dev.Silence(false)
		eventually(t, "known again", 10*interval, func() error {
			k, err := c.Rack(ctx, "H1-R01-K02")
			if err == nil && k.DrawWatts == nil {
				err = errors.New("still stale")
			}
			return err
		})
	})

	t.Run("metrics pass promtool", func(t *testing.T) {
		promtool := peer.Require(t, "promtool", "prometheus")
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(scrape(t, d.URL()))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("dashboards query only exported metrics, in valid PromQL", func(t *testing.T) {
		checkDashboards(t, scrape(t, d.URL()))
	})

	stop()
	t.Run("a restarted controller still has its inventory", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "demo", DataDir: filepath.Join(dir, "raft"),
			RaftAddr: "127.0.0.1:0", StaleAfter: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.WaitForLeader(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := n.SiteOrPut(ctx, inventory.Reference(1))
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Count(); c.Racks != 4 {
			t.Errorf("got %d racks after restart, want the 4 applied before (not the 1 offered)", c.Racks)
		}
		rep, err := n.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := rep.Rack("H1-R01-K01"); k == nil || k.Status != power.StatusStale {
			t.Errorf("got %+v, want the rack present and stale: telemetry is not kept across restarts", k)
		}
	})
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInventoryValidateCommand runs the CLI on a broken file: it must fail
// and name file, line and field.
func TestInventoryValidateCommand(t *testing.T) {
	good, err := os.ReadFile("../../internal/inventory/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, bytes.Replace(good, []byte("breaker_a: 32\n                snmp: {address: \"127.0.0.1:16101\""), []byte("breaker_a: -32\n                snmp: {address: \"127.0.0.1:16101\""), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd, _ := newRootCmd()
	cmd.SetArgs([]string{"inventory", "validate", path})
	cmd.SetOut(&out)
	err = cmd.Execute()
	want := path + ":15: halls[0].rows[0].racks[0].pdus[1].breaker_a: must be greater than 0"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %s", err, want)
	}
	cmd, _ = newRootCmd()
	cmd.SetArgs([]string{"inventory", "validate", "../../internal/inventory/testdata/small.yaml"})
	out.Reset()
	cmd.SetOut(&out)
	if err := cmd.Execute(); err != nil || !strings.Contains(out.String(), "valid: site test-dpc, 1 halls, 1 rows, 1 racks, 2 PDUs") {
		t.Errorf("got %v, %q; want a valid report", err, out.String())
	}
}
