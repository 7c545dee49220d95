package snmp

import (
	"errors"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

func TestParseProtocols(t *testing.T) {
	auth := []struct {
		in   string
		want AuthProtocol
	}{
		{"sha-256", AuthSHA256}, {"SHA256", AuthSHA256}, {"SHA1", AuthSHA}, {"sha", AuthSHA},
		{"md5", AuthMD5}, {"SHA-224", AuthSHA224}, {"sha384", AuthSHA384}, {"SHA_512", AuthSHA512},
	}
	for _, tt := range auth {
		if got, err := ParseAuthProtocol(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseAuthProtocol(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	priv := []struct {
		in   string
		want PrivProtocol
	}{
		{"aes", PrivAES}, {"AES-128", PrivAES}, {"aes-192", PrivAES192}, {"AES256", PrivAES256},
		{"aes256c", PrivAES256C}, {"AES-192-C", PrivAES192C}, {"des", PrivDES},
	}
	for _, tt := range priv {
		if got, err := ParsePrivProtocol(tt.in); err != nil || got != tt.want {
			t.Errorf("ParsePrivProtocol(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	if got, err := ParseSecurityLevel("AUTHPRIV"); err != nil || got != AuthPriv {
		t.Errorf("ParseSecurityLevel: got %v, %v, want %v", got, err, AuthPriv)
	}
	for _, err := range []error{
		second(ParseAuthProtocol("sha3")), second(ParsePrivProtocol("3des")), second(ParseSecurityLevel("priv")),
	} {
		if !errors.Is(err, ErrBadCredentials) {
			t.Errorf("got %v, want %v", err, ErrBadCredentials)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestNewGoSNMP(t *testing.T) {
	pass := NewSecret("authpass123")
	tests := []struct {
		name    string
		target  Target
		check   func(t *testing.T, g *gosnmp.GoSNMP)
		wantErr bool
	}{
		{name: "v2c with defaults", target: Target{Address: "10.0.0.1", Credentials: Credentials{Community: NewSecret("public")}},
			check: func(t *testing.T, g *gosnmp.GoSNMP) {
				type view struct {
					Target, Community string
					Port              uint16
					Version           gosnmp.SnmpVersion
					Timeout           time.Duration
					MaxRepetitions    uint32
				}
				want := view{"10.0.0.1", "public", 161, gosnmp.Version2c, DefaultTimeout, DefaultMaxRepetitions}
				got := view{g.Target, g.Community, g.Port, g.Version, g.Timeout, g.MaxRepetitions}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
			}},
		{name: "v3 defaults to authPriv SHA256/AES", target: Target{Address: "[::1]:1161", Timeout: time.Second,
			Credentials: Credentials{USM: &USM{User: "u", AuthPassphrase: pass, PrivPassphrase: pass}}},
			check: func(t *testing.T, g *gosnmp.GoSNMP) {
				sp := g.SecurityParameters.(*gosnmp.UsmSecurityParameters)
				if g.Version != gosnmp.Version3 || g.MsgFlags != gosnmp.AuthPriv || g.Port != 1161 || g.Target != "::1" ||
					sp.AuthenticationProtocol != gosnmp.SHA256 || sp.PrivacyProtocol != gosnmp.AES || g.Timeout != time.Second {
					t.Errorf("got %v %v %v %v %v %v %v, want v3 authPriv ::1:1161 SHA256 AES 1s",
						g.Version, g.MsgFlags, g.Target, g.Port, sp.AuthenticationProtocol, sp.PrivacyProtocol, g.Timeout)
				}
			}},
		{name: "v3 authNoPriv needs no priv passphrase", target: Target{Address: "h:161",
			Credentials: Credentials{USM: &USM{User: "u", Level: AuthNoPriv, AuthProtocol: AuthSHA512, AuthPassphrase: pass}}},
			check: func(t *testing.T, g *gosnmp.GoSNMP) {
				sp := g.SecurityParameters.(*gosnmp.UsmSecurityParameters)
				if g.MsgFlags != gosnmp.AuthNoPriv || sp.AuthenticationProtocol != gosnmp.SHA512 || sp.PrivacyProtocol != gosnmp.NoPriv {
					t.Errorf("got %v %v %v, want authNoPriv SHA512 NoPriv", g.MsgFlags, sp.AuthenticationProtocol, sp.PrivacyProtocol)
				}
			}},
		{name: "no credentials", target: Target{Address: "h:161"}, wantErr: true},
		{name: "v3 without user", target: Target{Address: "h:161", Credentials: Credentials{USM: &USM{}}}, wantErr: true},
		{name: "authPriv without priv passphrase", target: Target{Address: "h:161",
			Credentials: Credentials{USM: &USM{User: "u", AuthPassphrase: pass}}}, wantErr: true},
		{name: "unknown protocol", target: Target{Address: "h:161",
			Credentials: Credentials{USM: &USM{User: "u", Level: AuthNoPriv, AuthProtocol: "SHA3", AuthPassphrase: pass}}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := newGoSNMP(tt.target)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ErrBadCredentials) {
				t.Errorf("err: got %v, want %v", err, ErrBadCredentials)
			}
			if tt.check != nil {
				tt.check(t, g)
			}
		})
	}
}

func TestSplitAddress(t *testing.T) {
	for _, tt := range []struct {
		in, host string
		port     uint16
		bad      bool
	}{
		{in: "10.0.0.1:1161", host: "10.0.0.1", port: 1161},
		{in: "pdu-a07", host: "pdu-a07", port: 161},
		{in: "[fe80::1]:161", host: "fe80::1", port: 161},
		{in: "pdu:0", bad: true}, {in: "pdu:70000", bad: true}, {in: "", bad: true},
	} {
		host, port, err := splitAddress(tt.in)
		if (err != nil) != tt.bad || host != tt.host || port != tt.port {
			t.Errorf("splitAddress(%q): got %q, %d, %v, want %q, %d, error %v", tt.in, host, port, err, tt.host, tt.port, tt.bad)
		}
	}
}
