package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

// TestAgentNameDefaultsToItsCertificatesCN: an agent given no --name
// pushes under its certificate's CN, the name the controller binds its
// telemetry to; --name still decides when given, and without TLS the
// host name is the default.
func TestAgentNameDefaultsToItsCertificatesCN(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(tlsutil.Request{Role: tlsutil.RoleAgent, Name: "agent-h1", Halls: []string{"H1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tlsutil.WriteCA(dir, ca); err != nil {
		t.Fatal(err)
	}
	if err := tlsutil.WritePair(dir, "agent-h1", cert, key); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := func(name string, insecure bool) *agentOptions {
		o := &agentOptions{globalOptions: &globalOptions{controller: "https://127.0.0.1:1"}, name: name}
		if insecure {
			o.controller, o.tls.insecure = "http://127.0.0.1:1", true
		} else {
			o.tls.files = tlsutil.Files{CA: filepath.Join(dir, tlsutil.CACertFile), Cert: filepath.Join(dir, "agent-h1.crt"), Key: filepath.Join(dir, "agent-h1.key")}
		}
		return o
	}
	host, _ := os.Hostname()
	for _, tt := range []struct {
		name, given string
		insecure    bool
		want        string
	}{
		{"certificate, no --name", "", false, "agent-h1"},
		{"certificate and --name", "rack-9", false, "rack-9"},
		{"no TLS, no --name", "", true, host},
	} {
		o := opts(tt.given, tt.insecure)
		if _, err := o.pushClient(log); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if o.name != tt.want {
			t.Errorf("%s: name %q, want %q", tt.name, o.name, tt.want)
		}
	}
}
