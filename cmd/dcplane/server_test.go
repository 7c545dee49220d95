package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// TestServerLs runs 'dcplane server ls' against a real controller that has
// one BMC's poll: that server shows its watts and PSUs, one whose BMC never
// answered shows STALE with "-" (unknown, never 0), an unknown rack is a
// 404 naming it, and -o json carries the same servers.
func TestServerLs(t *testing.T) {
	site := inventory.Reference(1)
	var rack, s1, s2 string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range 2 {
			k.Servers[i].BMC = &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
		}
		rack, s1, s2 = k.ID, k.Servers[0].ID, k.Servers[1].ID
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.PutSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	r := func(m collectors.Metric, s collectors.Scope, i int, v float64) collectors.Reading {
		return collectors.Reading{Metric: m, Scope: s, Index: i, Value: v}
	}
	if _, err := n.Ingest(ctx, &wire.Batch{Agent: "a", Seq: 1, Polls: []collectors.Status{{Device: s1, At: time.Now(), OK: true,
		Readings: []collectors.Reading{r(collectors.PowerWatts, collectors.ScopeDevice, 0, 412),
			r(collectors.PowerWatts, collectors.ScopePSU, 1, 206), r(collectors.PowerWatts, collectors.ScopePSU, 2, 206)}}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()

	code, out, errs := runCLI(t, "--controller", srv.URL, "server", "ls", "--rack", rack)
	if code != 0 {
		t.Fatalf("server ls: exit %d: %s", code, errs)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	if l := lines[s1]; !strings.Contains(l, " 412 ") || !strings.Contains(l, "A:206 B:206") || !strings.Contains(l, " ok") {
		t.Errorf("%s: got line %q, want 412 W, A:206 B:206, ok\n%s", s1, l, out)
	}
	if l := lines[s2]; !strings.Contains(l, " - ") || !strings.Contains(l, "A:- B:-") || !strings.Contains(l, "STALE") {
		t.Errorf("%s: got line %q, want unknown watts and STALE\n%s", s2, l, out)
	}

	code, _, errs = runCLI(t, "--controller", srv.URL, "server", "ls", "--rack", "H9-R01-K01")
	if code != 1 || !strings.Contains(errs, `rack "H9-R01-K01" is not in the inventory`) {
		t.Errorf("unknown rack: got exit %d, stderr %q; want 1 naming the rack", code, errs)
	}

	code, out, errs = runCLI(t, "--controller", srv.URL, "-o", "json", "server", "ls", "--rack", rack)
	var got []struct {
		ID    string   `json:"id"`
		Watts *float64 `json:"watts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("-o json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if len(got) == 0 || got[0].ID != s1 || got[0].Watts == nil || *got[0].Watts != 412 {
		t.Errorf("-o json: got %+v, want %s at 412 W first", got, s1)
	}
}
