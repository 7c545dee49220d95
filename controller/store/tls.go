package store

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

// tlsStream is Raft's stream layer over mutual TLS. Both ends must present
// a certificate of the site CA with the controller role, whatever the
// config given says; a node dialling a peer also checks that the peer's
// certificate names the address dialled, so that no other certificate of
// the CA — an agent's, or a controller's for another address — reaches or
// poses as a Raft peer (Consul's CVE-2021-37219).
type tlsStream struct {
	net.Listener
	advertise net.Addr
	conf      *tls.Config
}

// raftTLS returns conf with what the Raft port requires: TLS 1.3, a client
// certificate, and the controller role on both ends.
func raftTLS(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	c.MinVersion = tls.VersionTLS13
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.VerifyConnection = tlsutil.RequireRole(tlsutil.RoleController)
	return c
}

func newTLSTransport(cfg Config, advertise net.Addr, hlog hclog.Logger) (*raft.NetworkTransport, error) {
	conf := raftTLS(cfg.TLS)
	ln, err := tls.Listen("tcp", cfg.RaftAddr, conf)
	if err != nil {
		return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
	}
	s := &tlsStream{Listener: ln, advertise: advertise, conf: conf}
	if a, ok := s.Addr().(*net.TCPAddr); !ok || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("raft transport on %s: advertise a reachable address, not %v", cfg.RaftAddr, s.Addr())
	}
	return raft.NewNetworkTransportWithLogger(s, maxPool, transportTimeout, hlog.Named("transport")), nil
}

// Dial connects to a peer and completes the handshake within timeout,
// checking the peer's certificate against the host dialled.
func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(string(addr))
	if err != nil {
		return nil, err
	}
	c := s.conf.Clone()
	c.ServerName = host
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: c}
	return d.Dial("tcp", string(addr))
}

// Addr is the address advertised to peers.
func (s *tlsStream) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}
