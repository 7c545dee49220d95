package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"
)

// Role is what a certificate's holder may do.
type Role string

// The roles a certificate can carry.
const (
	RoleController Role = "controller" // a controller node: Raft and forwarding
	RoleAgent      Role = "agent"      // an agent: telemetry push only
	RoleOperator   Role = "operator"   // a person's or program's client
)

// rolePrefix starts the URI SAN that carries a certificate's role.
const rolePrefix = "dcplane:role:"

// ErrNoRole is returned for a certificate that carries no dcplane role.
var ErrNoRole = errors.New("tlsutil: the certificate carries no dcplane role")

// Validity of what NewCA and Issue create.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	CertValidity = 2 * 365 * 24 * time.Hour
)

// CA is a site certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewCA creates a self-signed CA named after site.
func NewCA(site string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "dcplane CA " + site, Organization: []string{"dcplane"}},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(CAValidity),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Request is what Issue certifies.
type Request struct {
	Role Role
	Name string   // the common name: node, agent or user
	IPs  []net.IP // addresses a server is reached at
	DNS  []string // names a server is reached at
	// Halls are the halls an agent may report for, as URIs
	// dcplane:hall:H (HallURIPrefix); none: every hall. Agents only.
	Halls []string
}

// HallURIPrefix starts the URI of a hall an agent's certificate holds it to.
const HallURIPrefix = "dcplane:hall:"

// Issue creates a key and a certificate of r signed by the CA, good for
// both server and client authentication, and returns them PEM-encoded.
func (ca *CA) Issue(r Request) (certPEM, keyPEM []byte, err error) {
	switch r.Role {
	case RoleController, RoleAgent, RoleOperator:
	default:
		return nil, nil, fmt.Errorf("tlsutil: role %q: want controller, agent or operator", r.Role)
	}
	if r.Name == "" {
		return nil, nil, errors.New("tlsutil: a certificate needs a name")
	}
	if len(r.Halls) > 0 && r.Role != RoleAgent {
		return nil, nil, fmt.Errorf("tlsutil: halls hold an agent to them; a %s's certificate has none", r.Role)
	}
	uris := []*url.URL{{Scheme: "dcplane", Opaque: "role:" + string(r.Role)}}
	for _, h := range r.Halls {
		if h == "" || strings.ContainsAny(h, ", ()") {
			return nil, nil, fmt.Errorf("tlsutil: hall %q: want a hall ID (no spaces, commas or brackets)", h)
		}
		uris = append(uris, &url.URL{Scheme: "dcplane", Opaque: "hall:" + h})
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: r.Name, Organization: []string{"dcplane"}, OrganizationalUnit: []string{string(r.Role)}},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(CertValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: r.IPs, DNSNames: r.DNS,
		URIs: uris,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// RoleOf returns the role a certificate carries, or ErrNoRole. The role is
// only as good as the chain: call it on verified certificates.
func RoleOf(c *x509.Certificate) (Role, error) {
	var found []Role
	for _, u := range c.URIs {
		if s := u.String(); len(s) > len(rolePrefix) && s[:len(rolePrefix)] == rolePrefix {
			found = append(found, Role(s[len(rolePrefix):]))
		}
	}
	if len(found) != 1 {
		return "", ErrNoRole // none, or an ambiguous certificate
	}
	return found[0], nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}
