package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// TestProductionCommandsRefuseToRunWithoutTLS: dcplane controller and
// dcplane agent given neither TLS files nor --insecure exit 2 before
// opening anything, saying how to make the files and what --insecure
// does; both at once is a mistake too.
func TestProductionCommandsRefuseToRunWithoutTLS(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"controller", []string{"controller", "--data-dir", filepath.Join(dir, "n1"), "--http-addr", "127.0.0.1:0", "--raft-addr", "127.0.0.1:0", "--bootstrap"},
			[]string{"dcplane controller: no TLS", "--ca-file, --cert-file and --key-file", "dcplane tls init", "dcplane tls issue --dir DIR --role controller", "--insecure"}},
		{"agent", []string{"agent", "--inventory", filepath.Join(dir, "none.yaml"), "--credentials", filepath.Join(dir, "none.yaml")},
			[]string{"dcplane agent: no TLS", "dcplane tls issue --dir DIR --role agent", "--insecure"}},
		{"controller --insecure with files", []string{"controller", "--data-dir", filepath.Join(dir, "n2"), "--insecure", "--ca-file", "ca.crt"},
			[]string{"--insecure and --ca-file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			if code != 2 {
				t.Errorf("got exit %d, want 2 (%s)", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("got stderr %q, want it to say %q", stderr, w)
				}
			}
		})
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "n1", "*")); len(m) > 0 {
		t.Errorf("got %v in the data directory, want nothing opened before TLS is settled", m)
	}
}

// siteCA makes a site CA in a temporary directory with the tls commands,
// and issues certificates of the given names and roles; it returns the
// directory.
func siteCA(t *testing.T, certs ...[2]string) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := cli(t, "tls", "init", "--dir", dir, "--site", "test"); code != 0 {
		t.Fatalf("tls init: got exit %d (%s), want 0", code, stderr)
	}
	for _, c := range certs {
		if code, _, stderr := cli(t, "tls", "issue", "--dir", dir, "--name", c[0], "--role", c[1], "--ip", "127.0.0.1"); code != 0 {
			t.Fatalf("tls issue %s: got exit %d (%s), want 0", c[0], code, stderr)
		}
	}
	return dir
}

func filesOf(dir, name string) tlsutil.Files {
	return tlsutil.Files{CA: filepath.Join(dir, tlsutil.CACertFile), Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key")}
}

// TestControllerAndAgentOverMutualTLS runs dcplane controller with the
// files that dcplane tls init and issue made: it serves HTTPS to an
// operator's certificate (named by DCPLANE_CA_FILE, DCPLANE_CERT_FILE and
// DCPLANE_KEY_FILE), and the agent's push client (as dcplane agent
// builds it from its flags) delivers readings over mutual TLS, to https://
// URLs only and with an agent's certificate only.
func TestControllerAndAgentOverMutualTLS(t *testing.T) {
	dir := siteCA(t, [2]string{"n1", "controller"}, [2]string{"a1", "agent"}, [2]string{"op", "operator"})
	httpAddr, dataDir := freeport.Addr(), filepath.Join(t.TempDir(), "n1")
	n1 := filesOf(dir, "n1")
	ctx, cancel := context.WithCancel(context.Background())
	root, _ := newRootCmd()
	root.SetArgs([]string{"controller", "--node-id", "n1", "--data-dir", dataDir, "--bootstrap",
		"--http-addr", httpAddr, "--raft-addr", freeport.Addr(), "--ca-file", n1.CA, "--cert-file", n1.Cert, "--key-file", n1.Key, "--log-level", "error"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller after its context ended: got %v, want nil", err)
		}
	}()
	url := "https://" + httpAddr
	opFiles := filesOf(dir, "op")
	t.Setenv(envCAFile, opFiles.CA)
	t.Setenv(envCertFile, opFiles.Cert)
	t.Setenv(envKeyFile, opFiles.Key)
	hc, err := operatorHTTPClient(10 * time.Second)
	if err != nil || hc == nil {
		t.Fatalf("operator's client from the environment: got %v, %v, want one", hc, err)
	}
	defer hc.CloseIdleConnections()
	op, err := api.NewClient(url, hc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the controller to answer over TLS, to its first admin token", 30*time.Second, func() error {
		b, err := os.ReadFile(filepath.Join(dataDir, controller.AdminTokenFile))
		if err != nil {
			return err
		}
		op.UseToken(strings.TrimSpace(string(b)))
		_, err = op.Cluster(ctx)
		return err
	})
	doc, err := inventory.Marshal(inventory.Reference(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.PutInventory(ctx, doc); err != nil {
		t.Fatal(err)
	}

	a := &agentOptions{globalOptions: &globalOptions{controller: url}, tls: tlsFlags{files: filesOf(dir, "a1")}}
	log := slog.New(slog.DiscardHandler)
	push, err := a.pushClient(log)
	if err != nil {
		t.Fatal(err)
	}
	defer push.CloseIdleConnections()
	poll := collectors.Status{Device: "H1-R01-K01-PA", At: time.Now(), OK: true,
		Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 4000}}}
	if ir, err := push.Push(ctx, &api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{poll}}); err != nil || ir.Accepted != 1 {
		t.Errorf("agent's push over mutual TLS: got %+v, %v, want 1 accepted", ir, err)
	}
	plainURL := &agentOptions{globalOptions: &globalOptions{controller: "http://" + httpAddr}, tls: tlsFlags{files: filesOf(dir, "a1")}}
	if _, err := plainURL.pushClient(log); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("agent with TLS and an http:// URL: got %v, want it refused asking for https://", err)
	}
	asOperator := &agentOptions{globalOptions: &globalOptions{controller: url}, tls: tlsFlags{files: filesOf(dir, "op")}}
	if _, err := asOperator.pushClient(log); err == nil || !strings.Contains(err.Error(), "want one of role agent") {
		t.Errorf("agent with an operator's certificate: got %v, want it refused", err)
	}
	if res, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + httpAddr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plaintext to the controller: got %d, want 400", res.StatusCode)
		}
	}
}
