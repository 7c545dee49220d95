package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// startController runs a single-node controller holding site, and returns
// its API URL.
func startController(t *testing.T, site *inventory.Site) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "c1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: 30 * time.Second, DeclaredOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.PutSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// run runs the CLI with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root, g := newRootCmd()
	root.SetArgs(args)
	var out, errOut, stderr bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := exitCode(root.ExecuteContext(context.Background()), g.started, &stderr)
	return code, out.String(), errOut.String() + stderr.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlacementCommands(t *testing.T) {
	url := startController(t, inventory.Reference(4))
	req := writeFile(t, "req.yaml", "name: portal\nsystem: citizen-portal\nreplicas: 2\ncpu_millicores: 2000\nmemory_mib: 4096\nwatts: 400\nspread: rack\nhall: H1\n")

	code, out, errs := runCLI(t, "--controller", url, "place", "-f", req, "--dry-run", "--explain")
	if code != 0 || !strings.Contains(out, "dry run: would be placed") || !strings.Contains(out, "best candidates") {
		t.Fatalf("dry run: got exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "--controller", url, "-o", "json", "place", "-f", req)
	if code != 0 {
		t.Fatalf("place: got exit %d\n%s%s", code, out, errs)
	}
	var p struct {
		ID       string `json:"id"`
		Replicas []struct {
			Rack  string  `json:"rack"`
			Watts float64 `json:"watts"`
		} `json:"replicas"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || len(p.Replicas) != 2 || p.Replicas[0].Rack == p.Replicas[1].Rack {
		t.Fatalf("place -o json: got %+v, %v, want 2 replicas on 2 racks\n%s", p, err, out)
	}

	code, out, _ = runCLI(t, "--controller", url, "placement", "ls")
	if code != 0 || !strings.Contains(out, p.ID) || !strings.Contains(out, "citizen-portal") || !strings.Contains(out, "0.80") {
		t.Errorf("placement ls: got exit %d\n%s, want %s of citizen-portal at 0.80 kW", code, out, p.ID)
	}
	code, out, _ = runCLI(t, "--controller", url, "placement", "show", p.ID)
	if code != 0 || !strings.Contains(out, p.Replicas[0].Rack) || !strings.Contains(out, "A+B") {
		t.Errorf("placement show: got exit %d\n%s", code, out)
	}

	// 20 kW a replica fits no 15 kW rack: refused with the reason, exit 1.
	big := writeFile(t, "big.yaml", "name: big\nreplicas: 1\ncpu_millicores: 1000\nmemory_mib: 1024\nwatts: 20000\n")
	code, _, errs = runCLI(t, "--controller", url, "place", "-f", big)
	if code != 1 || !strings.Contains(errs, "does not fit") || !strings.Contains(errs, "budget") || !strings.Contains(errs, "rack-power") {
		t.Errorf("infeasible: got exit %d, stderr %q, want 1, the binding reason and the counts by limit", code, errs)
	}
	code, out, _ = runCLI(t, "--controller", url, "-o", "json", "place", "-f", big)
	var prob struct {
		Type     string         `json:"type"`
		Rejected map[string]int `json:"rejected"`
	}
	if err := json.Unmarshal([]byte(out), &prob); code != 1 || err != nil || prob.Rejected["rack-power"] == 0 {
		t.Errorf("infeasible -o json: got exit %d, %v, %q, want 1 and the problem on stdout", code, err, out)
	}
	bad := writeFile(t, "bad.yaml", "name: x\nreplicas: 1\nwats: 5\n")
	if code, _, errs = runCLI(t, "--controller", url, "place", "-f", bad); code != 1 || !strings.Contains(errs, "wats") {
		t.Errorf("unknown field: got exit %d, stderr %q, want 1 naming wats", code, errs)
	}

	// No telemetry in this test: the measured basis is unknown, never 0 W,
	// and the command cannot vouch for it (exit 4).
	code, out, errs = runCLI(t, "--controller", url, "whatif", "feed-off", "A", "--hall", "H1", "--all")
	if code != 4 || !strings.Contains(out, "unknown  measured") || !strings.Contains(out, "ok       declared") {
		t.Errorf("whatif: got exit %d\n%s%s, want unknown measured findings and declared ones", code, out, errs)
	}
	if code, _, errs = runCLI(t, "--controller", url, "whatif", "cooling-off", "nope"); code != 1 || !strings.Contains(errs, "No such cooling unit") || strings.Count(errs, `"nope"`) != 1 {
		t.Errorf("whatif unknown unit: got exit %d, stderr %q", code, errs)
	}

	if code, out, _ = runCLI(t, "--controller", url, "placement", "rm", p.ID); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("placement rm: got exit %d\n%s", code, out)
	}
	if code, _, errs = runCLI(t, "--controller", url, "placement", "show", p.ID); code != 1 || errs != fmt.Sprintf("dcplane: no placement %q ('dcplane placement ls' lists them)\n", p.ID) {
		t.Errorf("show after rm: got exit %d, stderr %q", code, errs)
	}
	if code, _, errs = runCLI(t, "placement", "show"); code != 2 || !strings.Contains(errs, "give a placement ID") {
		t.Errorf("show without ID: got exit %d, stderr %q", code, errs)
	}
}
