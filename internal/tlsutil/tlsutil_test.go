package tlsutil

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// TestIssuedCertificateCarriesItsRole: the role is read back from the
// certificate, one role only; unknown roles are not issued.
func TestIssuedCertificateCarriesItsRole(t *testing.T) {
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Role{RoleController, RoleAgent, RoleOperator} {
		certPEM, _, err := ca.Issue(Request{Role: r, Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(certPEM)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := RoleOf(c); got != r || err != nil {
			t.Errorf("got %q, %v, want %q", got, err, r)
		}
		c.URIs = append(c.URIs, &url.URL{Scheme: "dcplane", Opaque: "role:controller"})
		if _, err := RoleOf(c); !errors.Is(err, ErrNoRole) {
			t.Errorf("got %v for two roles, want ErrNoRole", err)
		}
	}
	if _, _, err := ca.Issue(Request{Role: "admin", Name: "x"}); err == nil {
		t.Error("got a certificate of role admin, want an error")
	}
}

// TestKeysAreWrittenPrivatelyAndNeverOverwritten: keys 0600; a second init
// fails rather than replacing the CA; the CA loads back.
func TestKeysAreWrittenPrivatelyAndNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCA(dir, ca); err != nil {
		t.Fatal(err)
	}
	if err := WriteCA(dir, ca); err == nil {
		t.Error("got a CA written over another, want an error")
	}
	cert, key, err := ca.Issue(Request{Role: RoleAgent, Name: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePair(dir, "a1", cert, key); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../a1", "sub/a1", ".."} {
		if err := WritePair(dir, bad, cert, key); err == nil {
			t.Errorf("got %q written, want it refused: files stay in the CA's directory", bad)
		}
	}
	for _, f := range []string{CAKeyFile, "a1.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: got %v, %v, want mode 0600", f, st.Mode(), err)
		}
	}
	back, err := LoadCA(dir)
	if err != nil || !back.Cert.Equal(ca.Cert) {
		t.Errorf("got %v, want the CA back", err)
	}
	conf, err := Files{Cert: filepath.Join(dir, "a1.crt"), Key: filepath.Join(dir, "a1.key"), CA: filepath.Join(dir, CACertFile)}.Config(RoleController)
	if err != nil || conf.MinVersion != 0x0304 {
		t.Errorf("got %v, want a TLS 1.3 config", err)
	}
}
