package serve_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// TestAgentCertificateHeldToItsHalls: an agent certificate issued with
// halls (dcplane tls issue --hall H1) may push for the devices of H1 only,
// over mutual TLS with no token: a poll of H2 is refused as unassigned and
// never applied. Halls are an agent's alone: Issue refuses them to others.
func TestAgentCertificateHeldToItsHalls(t *testing.T) {
	s := newSite(t)
	ctx := testContext(t)
	n := leaderTLS(t, s, true)
	op, err := api.NewClient(n.url, s.client(t, tlsutil.RoleOperator))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the first admin token", func() bool {
		b, err := os.ReadFile(filepath.Join(n.dir, controller.AdminTokenFile))
		op.UseToken(strings.TrimSpace(string(b)))
		return err == nil
	})
	doc, err := inventory.Marshal(inventory.Reference(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.PutInventory(ctx, doc); err != nil {
		t.Fatal(err)
	}
	conf := tlsutil.NewConfig(s.pair(t, tlsutil.Request{Role: tlsutil.RoleAgent, Name: "agent-h1", Halls: []string{"H1"}}), s.pool, tlsutil.RoleController)
	ag, err := api.NewClient(n.url, tlsutil.HTTPClient(conf, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	poll := func(id string) collectors.Status {
		return collectors.Status{Device: id, At: now, OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 3000}}}
	}
	rep, err := ag.PushTelemetry(ctx, &api.Batch{Agent: "agent-h1", Seq: 1, Polls: []collectors.Status{poll("H1-R01-K01-PA"), poll("H2-R01-K01-PA")}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 1 || rep.RefusedPolls["unassigned"] != 1 {
		t.Errorf("push of an H1 and an H2 PDU with an H1 certificate: got %+v, want H1's taken and H2's refused as unassigned", rep)
	}
	if _, _, err := s.ca.Issue(tlsutil.Request{Role: tlsutil.RoleOperator, Name: "op", Halls: []string{"H1"}}); err == nil {
		t.Error("an operator's certificate with halls: got issued, want refused")
	}
}
