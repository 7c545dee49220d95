package tlsutil

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Files of a CA in its directory, as WriteCA writes them.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
)

// WriteCA writes the CA's certificate and key into dir; the key 0600. It
// refuses to overwrite a CA already there.
func WriteCA(dir string, ca *CA) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsutil: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return fmt.Errorf("tlsutil: CA key: %w", err)
	}
	if err := writeNew(filepath.Join(dir, CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, CACertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644)
}

// WritePair writes a certificate and its key (0600) as dir/name.crt and
// dir/name.key, refusing to overwrite either.
func WritePair(dir, name string, certPEM, keyPEM []byte) error {
	if name == "" || name != filepath.Base(name) || name[0] == '.' {
		return fmt.Errorf("tlsutil: %q is not a plain file name", name)
	}
	if err := writeNew(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, name+".crt"), certPEM, 0o644)
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("tlsutil: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tlsutil: write %s: %w", path, err)
	}
	return nil
}

// LoadCA reads the CA that WriteCA wrote into dir.
func LoadCA(dir string) (*CA, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("tlsutil: load CA from %s: %w", dir, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA certificate: %w", err)
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, fmt.Errorf("tlsutil: %s does not hold a CA", dir)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Files name the PEM files of a node's certificate, its key and the CA.
type Files struct {
	Cert, Key, CA string
}

// Config returns a tls.Config for both ends of mutual TLS: TLS 1.3, the
// node's certificate, the CA's as the only root either way, a certificate
// required of clients, and the peer's certificate required to carry one of
// the roles allowed. A client (Dial) must also set ServerName, so that the
// server's name is checked as well as its role.
func (f Files) Config(allowed ...Role) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: load %s: %w", f.Cert, err)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("tlsutil: %s holds no certificate", f.CA)
	}
	return NewConfig(pair, pool, allowed...), nil
}

// NewConfig is Config for a loaded key pair and CA pool.
func NewConfig(pair tls.Certificate, ca *x509.CertPool, allowed ...Role) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{pair},
		RootCAs: ca, ClientCAs: ca, ClientAuth: tls.RequireAndVerifyClientCert,
		VerifyConnection: RequireRole(allowed...),
	}
}

// ErrRole is returned for a peer whose certificate carries a role that is
// not allowed.
var ErrRole = errors.New("tlsutil: the peer's role is not allowed here")

// RequireRole returns a tls.Config.VerifyConnection that accepts a peer
// (already verified against the CA) only if its certificate carries one of
// allowed.
func RequireRole(allowed ...Role) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tlsutil: the peer sent no certificate")
		}
		r, err := RoleOf(cs.PeerCertificates[0])
		if err != nil {
			return err
		}
		if !slices.Contains(allowed, r) {
			return fmt.Errorf("%w: %s (%q), want %v", ErrRole, r, cs.PeerCertificates[0].Subject.CommonName, allowed)
		}
		return nil
	}
}
