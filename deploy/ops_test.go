package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// The files these tests check, relative to this folder.
var (
	promConfig = filepath.Join("prometheus", "prometheus.yml")
	amConfig   = filepath.Join("alertmanager", "alertmanager.yml")
	units      = []string{"dcplane-controller.service", "dcplane-agent.service"}
)

// ruleFiles are the Prometheus rule files.
func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("prometheus", "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("got rule files %v (%v), want some", files, err)
	}
	return files
}

// runTool runs a peer program and returns its combined output; a failure
// fails the test with that output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPrometheusConfig: promtool takes the example configuration, with
// its rule files and its targets files, linted; every target is host:port.
func TestPrometheusConfig(t *testing.T) {
	promtool := peer.Require(t, "promtool", "prometheus")
	runTool(t, promtool, "check", "config", "--lint=all", "--lint-fatal", withScrapeTLS(t))
	files, _ := filepath.Glob(filepath.Join("prometheus", "targets", "*.yml"))
	if len(files) < 2 {
		t.Fatalf("got targets files %v, want the controllers' and the agents'", files)
	}
	for _, f := range files {
		var groups []struct{ Targets []string }
		readYAML(t, f, &groups)
		for _, g := range groups {
			for _, target := range g.Targets {
				if _, port, err := net.SplitHostPort(target); err != nil || port == "" {
					t.Errorf("%s: target %q: got %v, want host:port", f, target, err)
				}
			}
		}
	}
}

// withScrapeTLS copies deploy/prometheus to a temporary directory with the
// TLS files its controller job names (tls/, beside the configuration) made
// by a new site CA, as an operator would, and returns the copy's
// configuration: promtool checks that they exist.
func withScrapeTLS(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "prometheus")
	if err := os.CopyFS(dir, os.DirFS("prometheus")); err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := filepath.Join(dir, "tls")
	if err := tlsutil.WriteCA(tlsDir, ca); err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(tlsutil.Request{Role: tlsutil.RoleOperator, Name: "prometheus"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tlsutil.WritePair(tlsDir, "prometheus", cert, key); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "prometheus.yml")
}

// TestPrometheusRules: the rule files pass promtool's checks and lint, and
// the alerting rules pass their unit tests (promtool test rules).
func TestPrometheusRules(t *testing.T) {
	promtool := peer.Require(t, "promtool", "prometheus")
	runTool(t, promtool, append([]string{"check", "rules", "--lint=all", "--lint-fatal"}, ruleFiles(t)...)...)
	tests, _ := filepath.Glob(filepath.Join("prometheus", "tests", "*.test.yml"))
	if len(tests) == 0 {
		t.Fatal("got no rule tests, want prometheus/tests/*.test.yml")
	}
	out := runTool(t, promtool, append([]string{"test", "rules"}, tests...)...)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: got %s, want SUCCESS", out)
	}
}

// TestPrometheusRulesOnDemo runs Debian's Prometheus with the rule files
// against a running demo: every dcplane metric the rules name is one the
// controller and agent export, every recording rule returns data, and
// every rule evaluates without error.
func TestPrometheusRulesOnDemo(t *testing.T) {
	promBin := peer.Require(t, "prometheus", "prometheus")
	// An Alertmanager that takes every post, so that the demo's leader
	// delivers alerts and exports the delivery metrics.
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer am.Close()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.Start(ctx, demo.Config{Site: inventory.Reference(4), HTTPAddr: "127.0.0.1:0",
		Interval: time.Second, Level: 0.5, Alertmanagers: []string{am.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Close() }()
	var scraped string
	waitFor(t, "every rack measured and a Raft commit timed", 30*time.Second, func() bool {
		scraped = get(t, d.URL()+"/metrics")
		return strings.Contains(scraped, "\ndcplane_site_power_watts{") &&
			strings.Contains(scraped, "\ndcplane_raft_commit_time_seconds_count ")
	})
	exported := exportedNames(scraped)
	names, records := ruleNames(t)
	for _, n := range names {
		if !exported[n] {
			t.Errorf("the rules use %s, which the controller and agent do not export", n)
		}
	}

	prom := startPrometheus(t, promBin, strings.TrimPrefix(d.URL(), "http://"))
	for _, r := range records {
		waitFor(t, "data for "+r, 30*time.Second, func() bool { return len(query(t, prom, r)) > 0 })
	}
	waitFor(t, "every rule evaluated without error", 30*time.Second, func() bool {
		return rulesHealthy(t, prom)
	})
}

// exportedNames are the metric names of a scrape, with the series names
// of its histograms and summaries.
func exportedNames(scraped string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(scraped, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		out[f[2]] = true
		if f[3] == "histogram" || f[3] == "summary" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[f[2]+s] = true
			}
		}
	}
	return out
}

var metricToken = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// ruleNames returns the dcplane metrics the rules' expressions read and
// the names the recording rules record.
func ruleNames(t *testing.T) (metrics, records []string) {
	t.Helper()
	for _, f := range ruleFiles(t) {
		var doc struct {
			Groups []struct {
				Rules []struct{ Record, Alert, Expr string }
			}
		}
		readYAML(t, f, &doc)
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					records = append(records, r.Record)
				}
				for _, tok := range metricToken.FindAllString(r.Expr, -1) {
					if strings.HasPrefix(tok, "dcplane_") && !strings.Contains(tok, ":") && !slices.Contains(metrics, tok) {
						metrics = append(metrics, tok)
					}
				}
			}
		}
	}
	if len(metrics) == 0 || len(records) == 0 {
		t.Fatalf("got metrics %v and records %v, want some of each", metrics, records)
	}
	return metrics, records
}

// startPrometheus runs Prometheus on loopback with the rule files,
// scraping target every second, and returns its URL once it is ready.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	var rules []string
	for _, f := range ruleFiles(t) {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, fmt.Sprintf("%q", abs))
	}
	conf := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%s]
scrape_configs:
  - job_name: dcplane-controller
    static_configs: [{targets: [%q]}]
`, strings.Join(rules, ", "), target)
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeport.Addr()
	return startPeer(t, bin, "http://"+addr, "--config.file="+path, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
}

// startPeer starts a server program and returns base once base/-/ready
// answers 200; it is killed when the test ends.
func startPeer(t *testing.T, bin, base string, args ...string) string {
	t.Helper()
	var out peer.Log
	cmd := exec.Command(bin, args...)
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
			t.Logf("%s's log:\n%s", filepath.Base(bin), out.String())
		}
	})
	waitFor(t, filepath.Base(bin)+" ready", 30*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("%s exited:\n%s", filepath.Base(bin), out.String())
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// query returns the series of an instant query.
func query(t *testing.T, prom, q string) []json.RawMessage {
	t.Helper()
	var r struct {
		Data struct{ Result []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(get(t, prom+"/api/v1/query?query="+url.QueryEscape(q))), &r); err != nil {
		t.Fatal(err)
	}
	return r.Data.Result
}

// rulesHealthy says whether every rule has been evaluated, each without
// error; it reports those that failed.
func rulesHealthy(t *testing.T, prom string) bool {
	t.Helper()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct{ Name, Health, LastError string }
			}
		}
	}
	if err := json.Unmarshal([]byte(get(t, prom+"/api/v1/rules")), &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			n++
			switch rule.Health {
			case "ok":
			case "err":
				t.Fatalf("rule %s: got error %s, want none", rule.Name, rule.LastError)
			default:
				return false
			}
		}
	}
	return n > 0
}

// TestAlertmanagerConfig: amtool takes the example configuration, and
// routes critical alerts to the on-call receiver, the others to mail.
func TestAlertmanagerConfig(t *testing.T) {
	amtool := peer.Require(t, "amtool", "prometheus-alertmanager")
	runTool(t, amtool, "check-config", amConfig)
	for _, c := range []struct {
		labels []string
		want   string
	}{
		{[]string{"alertname=RackOverBudget", "severity=critical", "hall=H1", "row=H1-R01", "rack=H1-R01-K01"}, "dpc-oncall"},
		{[]string{"alertname=ControllerNoLeader", "severity=critical", "source=prometheus"}, "dpc-oncall"},
		{[]string{"alertname=RackPowerWarning", "severity=warning", "hall=H1"}, "dpc-ops-mail"},
		{[]string{"alertname=Unknown"}, "dpc-ops-mail"},
	} {
		// The receiver is on stdout; stderr may warn that --config.file
		// wins over an amtool config's Alertmanager URL.
		out, err := exec.Command(amtool, append([]string{"config", "routes", "test", "--config.file=" + amConfig}, c.labels...)...).Output()
		if err != nil {
			t.Fatalf("amtool config routes test %v: %v", c.labels, err)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%v: got receiver %q, want %q", c.labels, got, c.want)
		}
	}
}

// TestSystemdUnits: systemd-analyze verifies the units (with a stand-in
// for the binary) without a word of complaint and rates their exposure
// low; they run as a dynamic user, hardened, with the state and
// credentials they need; every variable their command lines use is set in
// the example env files, and every secret the credentials file names is
// one the agent's unit loads.
func TestSystemdUnits(t *testing.T) {
	for _, u := range units {
		text := readFile(t, filepath.Join("systemd", u))
		for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
			"ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "ExecStart=/usr/local/bin/dcplane "} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: got no %q, want it", u, strings.TrimSpace(want))
			}
		}
		execStart := unitValues(text, "ExecStart")[0]
		for _, secret := range []string{"community", "passphrase", "password", "secret", "token"} {
			if strings.Contains(strings.ToLower(execStart), secret) {
				t.Errorf("%s: ExecStart mentions %q: secrets go through LoadCredential, never the command line", u, secret)
			}
		}
		env := readFile(t, filepath.Join("systemd", strings.TrimPrefix(strings.TrimSuffix(u, ".service"), "dcplane-")+".env"))
		for _, m := range regexp.MustCompile(`\$\{?([A-Z_]+)\}?`).FindAllStringSubmatch(execStart, -1) {
			if !regexp.MustCompile(`(?m)^` + m[1] + `=`).MatchString(env) {
				t.Errorf("%s: ExecStart uses $%s, which the example env file does not set", u, m[1])
			}
		}
	}
	if controller := readFile(t, filepath.Join("systemd", units[0])); !strings.Contains(controller, "StateDirectory=dcplane") ||
		!strings.Contains(controller, "--data-dir /var/lib/dcplane") {
		t.Error("controller: want StateDirectory=dcplane and --data-dir /var/lib/dcplane")
	}
	checkCredentials(t)
	verifyUnits(t)
}

// checkCredentials: every secret file the example credentials file names
// is under the agent's credentials directory, loaded by its unit.
func checkCredentials(t *testing.T) {
	t.Helper()
	loaded := map[string]bool{}
	for _, v := range unitValues(readFile(t, filepath.Join("systemd", units[1])), "LoadCredential") {
		name, _, _ := strings.Cut(v, ":")
		loaded[name] = true
	}
	var creds map[string]map[string]string
	readYAML(t, filepath.Join("systemd", "credentials.yaml"), &creds)
	const dir = "/run/credentials/dcplane-agent.service/"
	for name, c := range creds {
		for k, v := range c {
			if !strings.HasSuffix(k, "_file") {
				continue
			}
			if !strings.HasPrefix(v, dir) || !loaded[strings.TrimPrefix(v, dir)] {
				t.Errorf("credentials.yaml %s.%s: got %s, want a file of %s that the agent's unit loads", name, k, v, dir)
			}
		}
	}
}

// verifyUnits runs systemd-analyze verify and security on copies of the
// units whose ExecStart names an executable stand-in.
func verifyUnits(t *testing.T) {
	t.Helper()
	sa := peer.Require(t, "systemd-analyze", "systemd")
	dir := t.TempDir()
	stub := filepath.Join(dir, "dcplane")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, u := range units {
		text := strings.ReplaceAll(readFile(t, filepath.Join("systemd", u)), "/usr/local/bin/dcplane", stub)
		p := filepath.Join(dir, u)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(sa, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify: got %v and\n%s\nwant success and no output", err, stderr.String())
	}
	for _, p := range paths {
		// Exposure 0–10 reported, 0–100 here: 25 is "OK" and below.
		runTool(t, sa, "security", "--offline=true", "--threshold=25", p)
	}
}

// unitValues returns the values of a key in a unit file, in order.
func unitValues(text, key string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
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

// waitFor waits until cond holds, for up to d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
