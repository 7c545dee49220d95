package tlsutil

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// APIRoles are the roles the HTTP API's port admits: what each may call
// there is the API's to decide, by the role PeerRole returns.
var APIRoles = []Role{RoleController, RoleAgent, RoleOperator}

// ErrNoTLS is returned by PeerRole for a connection that is not mutual TLS
// (a node run with --insecure, or the demo).
var ErrNoTLS = errors.New("tlsutil: the connection carries no verified client certificate")

// PeerRole returns the role of the client of a connection that mutual TLS
// verified: an HTTP handler passes r.TLS. The role is read from the
// verified chain's leaf, never from what the client merely sent.
func PeerRole(cs *tls.ConnectionState) (Role, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", ErrNoTLS
	}
	return RoleOf(cs.VerifiedChains[0][0])
}

// Given says whether any of the files is named.
func (f Files) Given() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Check says which of the three files is missing, if any is.
func (f Files) Check() error {
	for _, m := range []struct{ name, path string }{{"CA", f.CA}, {"certificate", f.Cert}, {"key", f.Key}} {
		if m.path == "" {
			return fmt.Errorf("tlsutil: mutual TLS needs the CA's certificate, this holder's certificate and its key: the %s file is not given", m.name)
		}
	}
	return nil
}

// HTTPClient returns an HTTP client over mutual TLS with conf (a Config of
// this holder's files allowing the controller role): the server must show
// a controller certificate of the site CA that names the host of the URL
// dialled (the transport sets ServerName from it). Requests give up after
// timeout; 0 means none. It speaks HTTP/1.1, one call a connection at a
// time: it keeps MaxIdleConnsPerHost of them between calls and opens at
// most MaxConnsPerHost to a host, further calls waiting for one, so that a
// burst cannot take a controller's connection limit from the others.
func HTTPClient(conf *tls.Config, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = conf.Clone()
	t.TLSClientConfig.ServerName = "" // always the host dialled
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	t.MaxConnsPerHost = MaxConnsPerHost
	return &http.Client{Transport: t, Timeout: timeout}
}

// The connections HTTPClient keeps idle to a host, and opens to it at
// most.
const (
	MaxIdleConnsPerHost = 16
	MaxConnsPerHost     = 128
)

// ConfigAs is Config for a holder that must itself carry role own: a
// controller started with an agent's certificate, say, is told so at once
// rather than refused by every peer.
func (f Files) ConfigAs(own Role, allowed ...Role) (*tls.Config, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	conf, err := f.Config(allowed...)
	if err != nil {
		return nil, err
	}
	leaf := conf.Certificates[0].Leaf
	if leaf == nil {
		return nil, fmt.Errorf("tlsutil: %s: no certificate", f.Cert)
	}
	if r, err := RoleOf(leaf); err != nil || r != own {
		return nil, fmt.Errorf("tlsutil: %s is %q's certificate of role %q, want one of role %s (dcplane tls issue --role %s)", f.Cert, leaf.Subject.CommonName, r, own, own)
	}
	return conf, nil
}
