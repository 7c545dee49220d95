package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/internal/serve"
)

// tokenPattern matches any API token's secret: "dcp_" ID "_" 32 random
// bytes in base64url (controller.newSecret).
var tokenPattern = regexp.MustCompile(`dcp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`)

// secretScan holds the secrets the outputs must not show, and the outputs.
type secretScan struct {
	secrets map[string]string // what → the secret
	outputs map[string]string // where → what was written there
	order   []string
}

func (s *secretScan) add(where, text string) {
	if _, ok := s.outputs[where]; !ok {
		s.order = append(s.order, where)
	}
	s.outputs[where] += text
}

// check fails t for every output line holding a secret, any token's or
// key material, but allowed (where → the one line that may hold one).
func (s *secretScan) check(t *testing.T, allowed map[string]string) {
	t.Helper()
	for _, where := range s.order {
		allowedSeen := 0
		for n, line := range strings.Split(s.outputs[where], "\n") {
			if line == allowed[where] && allowedSeen == 0 {
				allowedSeen++
				continue
			}
			for what, secret := range s.secrets {
				if strings.Contains(line, secret) {
					t.Errorf("%s, line %d: holds the %s: %q", where, n+1, what, line)
				}
			}
			if tok := tokenPattern.FindString(line); tok != "" {
				t.Errorf("%s, line %d: holds an API token's secret (%s…): %q", where, n+1, tok[:20], line)
			}
			if strings.Contains(line, "PRIVATE KEY") {
				t.Errorf("%s, line %d: holds key material: %q", where, n+1, line)
			}
		}
		if a, ok := allowed[where]; ok && allowedSeen != 1 {
			t.Errorf("%s: got the allowed line %q %d times, want once", where, a, allowedSeen)
		}
	}
}

// TestSecretsStayOutOfEveryOutput runs the demo (its SNMP community in a
// file, its admin and agent tokens) with debug logs, makes a viewer token
// and a CA with certificates through the CLI, then gathers every output a
// user or a scraper sees: the demo's banner, summaries and logs, /metrics,
// the answer of every GET route of the API (as admin), the main commands'
// tables and JSON, and the process's arguments. None holds the community,
// any token's secret or a private key, but for the banner's one line that
// hands the demo's user its admin token (issue 7.5).
func TestSecretsStayOutOfEveryOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for a few seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	scan := &secretScan{secrets: map[string]string{}, outputs: map[string]string{}}
	demoArgs := []string{"demo", "--racks", "4", "--http-addr", "127.0.0.1:0", "--interval", "300ms", "--summary-every", "300ms",
		"--log-level", "debug", "--overload", "H1-R01-K01"}
	demoCtx, stopDemo := context.WithCancel(ctx)
	root, _ := newRootCmd()
	root.SetArgs(demoArgs)
	var out, logs peer.Log
	root.SetOut(&out)
	root.SetErr(&logs)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(demoCtx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			stopDemo()
			if err := <-done; err != nil {
				t.Errorf("demo: got %v, want it stopped cleanly", err)
			}
		}
	}
	defer stop()
	banner := func(key string) string {
		m := regexp.MustCompile(regexp.QuoteMeta(key) + `(\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			return ""
		}
		return m[1]
	}
	eventually(t, "the demo's banner and its workloads placed", time.Minute, func() error {
		if !strings.Contains(out.String(), "Ctrl-C stops it.") || !strings.Contains(out.String(), "alerts:") {
			return fmt.Errorf("demo output so far: %q", out.String())
		}
		return nil
	})
	url, admin, communityFile := banner("export DCPLANE_CONTROLLER="), banner("export DCPLANE_TOKEN="), banner("--community-file ")
	community, err := os.ReadFile(communityFile)
	if err != nil || url == "" || admin == "" {
		t.Fatalf("banner: got URL %q, token %q, community file %q (%v), want all three", url, admin, communityFile, err)
	}
	scan.secrets["SNMP community"] = strings.TrimSpace(string(community))
	scan.secrets["admin token"] = admin
	t.Setenv("DCPLANE_CONTROLLER", url)
	t.Setenv(envToken, admin)

	// A viewer token: its secret is shown once, by the command that makes it.
	code, created, stderr := runCLI(t, "token", "create", "--role", "viewer", "--name", "scan", "-o", "json")
	viewer := tokenPattern.FindString(created)
	if code != 0 || viewer == "" {
		t.Fatalf("token create: got %d %q %q, want a new token's secret", code, created, stderr)
	}
	scan.secrets["viewer token"] = viewer
	scan.add("token create (stderr)", stderr)

	// Key material: a CA and a certificate made through the CLI.
	caDir := t.TempDir()
	for _, args := range [][]string{{"tls", "init", "--dir", caDir}, {"tls", "issue", "--dir", caDir, "--role", "agent", "--name", "a1"}} {
		code, o, e := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: got %d %q %q, want 0", args, code, o, e)
		}
		scan.add("dcplane "+strings.Join(args[:2], " "), o+e)
	}
	key, err := os.ReadFile(filepath.Join(caDir, "a1.key"))
	if err != nil || !bytes.Contains(key, []byte("PRIVATE KEY")) {
		t.Fatalf("a1.key: got %v, want a private key", err)
	}
	scan.secrets["agent's private key"] = strings.Split(strings.TrimSpace(string(key)), "\n")[1]

	// The probe the banner suggests, with the community from its file.
	probeAddr := banner("probe snmp ")
	for _, args := range [][]string{{"probe", "snmp", probeAddr, "--community-file", communityFile},
		{"probe", "snmp", probeAddr, "--community-file", communityFile, "-o", "json", "--log-level", "debug"}} {
		_, o, e := runCLI(t, args...)
		scan.add("dcplane "+strings.Join(args, " "), o+e)
	}

	// The main commands, as tables and as JSON.
	for _, args := range [][]string{{"rack", "ls"}, {"power"}, {"placement", "ls"}, {"alerts", "ls"}, {"token", "ls"},
		{"audit", "ls"}, {"cluster", "members"}} {
		for _, format := range []string{"table", "json"} {
			full := append(append([]string{}, args...), "-o", format)
			code, o, e := runCLI(t, full...)
			if code != 0 {
				t.Errorf("dcplane %v: got exit code %d, %q, want 0", full, code, e)
			}
			scan.add("dcplane "+strings.Join(full, " "), o+e)
		}
	}

	// Every GET route, as admin, and /metrics as Prometheus scrapes it.
	for _, path := range getPaths(t, url, admin) {
		scan.add("GET "+path, get(t, url+path, admin))
	}
	scan.add("GET /metrics (no token)", get(t, url+"/metrics", ""))

	stop() // the demo's last words, then its output
	scan.add("demo stdout", out.String())
	scan.add("demo stderr (debug log)", logs.String())
	scan.add("argv of this process", strings.Join(os.Args, " "))
	scan.add("argv given the demo", strings.Join(demoArgs, " "))
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("demo log: got %d bytes with no debug line, want the debug log scanned", len(logs.String()))
	}
	scan.check(t, map[string]string{"demo stdout": "             export DCPLANE_TOKEN=" + admin})
	t.Logf("scanned %d outputs for %d secrets, any token and key material", len(scan.outputs), len(scan.secrets))
}

// getPaths lists a path for every GET route a controller serves (asked of
// a node opened for it), its {id} filled with one the demo has.
func getPaths(t *testing.T, url, admin string) []string {
	t.Helper()
	n, err := serve.Open(context.Background(), controller.Config{NodeID: "routes", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", NoAuth: true, StaleAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := n.Handler().(*api.Server)
	pats := []string{}
	if ok {
		pats = srv.Patterns()
	}
	n.Close()
	if !ok {
		t.Fatalf("handler: got %T, want *api.Server", n.Handler())
	}
	placement := "none"
	if m := regexp.MustCompile(`"id":\s*"(pl-[^"]+)"`).FindStringSubmatch(get(t, url+"/v1/placements", admin)); m != nil {
		placement = m[1]
	}
	fill := strings.NewReplacer("/v1/racks/{id}", "/v1/racks/H1-R01-K01", "/v1/placements/{id}", "/v1/placements/"+placement,
		"/v1/whatif/feed-off", "/v1/whatif/feed-off?feed=A", "/v1/whatif/cooling-off", "/v1/whatif/cooling-off?unit=H1-R01-C1")
	var paths []string
	for _, p := range pats {
		if path, ok := strings.CutPrefix(p, "GET "); ok && path != "/metrics" {
			paths = append(paths, fill.Replace(path))
		}
	}
	if len(paths) < 10 {
		t.Fatalf("GET routes: got %v, want every one of a full node", paths)
	}
	return paths
}

// get answers GET url with the token, if any: the status and the body.
func get(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.Status + "\n" + string(b)
}
