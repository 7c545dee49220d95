package bench

import (
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// TestSecurity runs the bench small: every path is measured both ways,
// every push taken, and the summary gives each path's cost and verdict.
func TestSecurity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu")
	r, err := Security(ctx, SecurityConfig{Racks: 8, Runs: 2, Pushes: 40, Requests: 30, Agents: 2, Clients: 4, PollsPerPush: 4, Dir: dir, CPUProfile: prof})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{".run1", ".run2"} {
		f, err := os.Open(prof + run)
		if err != nil {
			t.Fatalf("got %v, want a CPU profile of each run's placements", err)
		}
		if _, err := gzip.NewReader(f); err != nil { // a profile is gzipped protobuf
			t.Errorf("%s: got %v, want a Go CPU profile", prof+run, err)
		}
		f.Close()
	}
	if len(r.Paths) != 4 {
		t.Fatalf("got %d paths, want ingest and placement, each both ways", len(r.Paths))
	}
	for _, p := range r.Paths {
		if p.PerSec.Runs != 2 || p.PerSec.Min <= 0 || p.Errors != 0 {
			t.Errorf("%s %s: got %+v, want 2 runs, each a positive rate, and no errors", p.Path, p.Security, p)
		}
	}
	if r.ReadingsPerPush != 4*len(pduReadings(1)) || r.IngestCost.Runs != 2 || r.PlacementCPUCost.Runs != 2 {
		t.Errorf("got %d readings a push, costs over %d and %d runs, want %d and 2", r.ReadingsPerPush, r.IngestCost.Runs, r.PlacementCPUCost.Runs, 4*len(pduReadings(1)))
	}
	sum := r.Summary()
	for _, want := range []string{"ingest: mTLS + auth cost", "placement: mTLS + auth cost", "load average", "goal of under 10 %"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary %q: want %q in it", sum, want)
		}
	}
}

// TestSecureEndIsSecure: the bench's secure controller refuses plaintext,
// and a client certificate without a token cannot place; the plain one
// serves anyone. Else the bench would compare plain with plain.
func TestSecureEndIsSecure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca, err := newBenchCA()
	if err != nil {
		t.Fatal(err)
	}
	c := SecurityConfig{Agents: 1, Clients: 1, Dir: t.TempDir()}
	site := inventory.Reference(2)
	secure, err := startSecureEnd(ctx, c, ca, true, site)
	if err != nil {
		t.Fatal(err)
	}
	defer secure.close()
	plain, err := startSecureEnd(ctx, c, ca, false, site)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.close()
	if !strings.HasPrefix(secure.url, "https://") || !strings.HasPrefix(plain.url, "http://") {
		t.Fatalf("got %s and %s, want https for the secure end, http for the plain one", secure.url, plain.url)
	}
	res, err := http.Get("http" + strings.TrimPrefix(secure.url, "https") + "/v1/placements")
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("plaintext to the secure end: got %s, want it refused", res.Status)
		}
	}
	conf, err := ca.config(tlsutil.RoleOperator, "no-token", tlsutil.RoleController)
	if err != nil {
		t.Fatal(err)
	}
	hc := tlsutil.HTTPClient(conf, 10*time.Second)
	defer hc.CloseIdleConnections()
	cl, err := api.NewClient(secure.url, hc)
	if err != nil {
		t.Fatal(err)
	}
	req := api.PlacementRequest{Name: "x", System: "s", Replicas: 1, CPUMillicores: 100, MemoryMiB: 128, Watts: 50}
	var p *api.Problem
	if _, err := cl.Place(ctx, &req, api.PlaceOptions{DryRun: true}); !errors.As(err, &p) || p.Status != http.StatusForbidden && p.Status != http.StatusUnauthorized {
		t.Errorf("placing with a certificate and no token: got %v, want 401 or 403", err)
	}
	if _, err := plain.placers[0].Place(ctx, &req, api.PlaceOptions{DryRun: true}); err != nil {
		t.Errorf("placing on the plain end: got %v, want it served", err)
	}
	if _, err := secure.placers[0].Place(ctx, &req, api.PlaceOptions{DryRun: true}); err != nil {
		t.Errorf("placing on the secure end with the platform token: got %v, want it served", err)
	}
}

// TestSecurityCosts: a cost is the plain rate lost, or the CPU per call
// added, in % of the plain figure, run by run.
func TestSecurityCosts(t *testing.T) {
	mk := func(calls int, secs, cores float64) timing {
		return timing{lat: make([]time.Duration, calls), errs: make([]error, calls), elapsed: time.Duration(secs * float64(time.Second)), cores: cores}
	}
	plain := []timing{mk(1000, 1, 1), mk(1000, 2, 1)}
	secure := []timing{mk(1000, 1.25, 1), mk(1000, 2, 1.1)}
	if got := costOf(plain, secure); got.Min != 0 || got.Max != 20 {
		t.Errorf("rate cost: got %+v, want 0 and 20 %%", got)
	}
	if got := cpuCostOf(plain, secure); got.Min < 10-1e-9 || got.Min > 10+1e-9 || got.Max != 25 {
		t.Errorf("CPU cost: got %+v, want 10 and 25 %%", got)
	}
	if v := verdict(Spread{Median: 9.9}, Spread{Median: 10}); !strings.Contains(v, "the rate's median meets") {
		t.Errorf("verdict of 9.9 and 10 %%: got %q, want the rate meeting the goal and the CPU not", v)
	}
}
