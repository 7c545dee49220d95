package controller

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// tokenPeer is a Peer that records the token it was given.
type tokenPeer struct{ token *string }

func (tokenPeer) Join(context.Context, wire.JoinRequest) error         { return nil }
func (tokenPeer) Cluster(context.Context) (*wire.ClusterStatus, error) { return nil, nil }
func (tokenPeer) URL() string                                          { return "" }
func (tokenPeer) CloseIdleConnections()                                {}
func (p tokenPeer) UseToken(secret string)                             { *p.token = secret }

// TestPeersToken: without TLS a node's clients of the other controllers
// send Config.Token, else the admin token it wrote when it bootstrapped;
// with TLS they send none, so that the controller certificate decides (a
// revoked bootstrap token or a viewer's in the environment would shut the
// node out of its own cluster).
func TestPeersToken(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, AdminTokenFile), []byte("dcp_boot_secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"plaintext, a token given", Config{Token: "dcp_given"}, "dcp_given"},
		{"plaintext, the bootstrap file", Config{}, "dcp_boot_secret"},
		{"TLS, a token given", Config{Token: "dcp_given", TLS: &tls.Config{}}, ""},
		{"TLS, the bootstrap file", Config{TLS: &tls.Config{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			tt.cfg.DataDir = dir
			tt.cfg.Peers = func(string, time.Duration) (Peer, error) { return tokenPeer{&got}, nil }
			n := &Node{cfg: tt.cfg}
			if _, err := n.peers("http://x", time.Second); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got token %q, want %q", got, tt.want)
			}
		})
	}
}
