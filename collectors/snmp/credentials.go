package snmp

import (
	"fmt"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Credentials say how to authenticate to a device: an SNMPv2c community, or,
// when USM is set, an SNMPv3 user (preferred: v2c sends the community in
// clear text).
type Credentials struct {
	Community Secret // SNMPv2c community; ignored when USM is set
	USM       *USM   // SNMPv3 user-based security; nil means v2c
}

// USM is an SNMPv3 user of the User-based Security Model (RFC 3414).
type USM struct {
	User string
	// Level is the security level; empty means AuthPriv.
	Level          SecurityLevel
	AuthProtocol   AuthProtocol // empty means SHA256
	AuthPassphrase Secret
	PrivProtocol   PrivProtocol // empty means AES
	PrivPassphrase Secret
}

// SecurityLevel is an SNMPv3 security level.
type SecurityLevel string

// The SNMPv3 security levels, by their RFC 3411 names. Prefer AuthPriv.
const (
	NoAuthNoPriv SecurityLevel = "noAuthNoPriv"
	AuthNoPriv   SecurityLevel = "authNoPriv"
	AuthPriv     SecurityLevel = "authPriv"
)

// AuthProtocol is an SNMPv3 authentication protocol.
type AuthProtocol string

// The authentication protocols. MD5 and SHA (SHA-1) are there for old
// devices; prefer SHA256 or stronger.
const (
	AuthMD5    AuthProtocol = "MD5"
	AuthSHA    AuthProtocol = "SHA"
	AuthSHA224 AuthProtocol = "SHA224"
	AuthSHA256 AuthProtocol = "SHA256"
	AuthSHA384 AuthProtocol = "SHA384"
	AuthSHA512 AuthProtocol = "SHA512"
)

// PrivProtocol is an SNMPv3 privacy (encryption) protocol.
type PrivProtocol string

// The privacy protocols. AES192 and AES256 use the Blumenthal key extension
// (net-snmp's AES-192/AES-256); AES192C and AES256C use Reeder's (Cisco's).
// DES is there for old devices only.
const (
	PrivDES     PrivProtocol = "DES"
	PrivAES     PrivProtocol = "AES"
	PrivAES192  PrivProtocol = "AES192"
	PrivAES256  PrivProtocol = "AES256"
	PrivAES192C PrivProtocol = "AES192C"
	PrivAES256C PrivProtocol = "AES256C"
)

var (
	authProtocols = map[AuthProtocol]gosnmp.SnmpV3AuthProtocol{
		AuthMD5: gosnmp.MD5, AuthSHA: gosnmp.SHA, AuthSHA224: gosnmp.SHA224,
		AuthSHA256: gosnmp.SHA256, AuthSHA384: gosnmp.SHA384, AuthSHA512: gosnmp.SHA512,
	}
	privProtocols = map[PrivProtocol]gosnmp.SnmpV3PrivProtocol{
		PrivDES: gosnmp.DES, PrivAES: gosnmp.AES, PrivAES192: gosnmp.AES192,
		PrivAES256: gosnmp.AES256, PrivAES192C: gosnmp.AES192C, PrivAES256C: gosnmp.AES256C,
	}
	securityLevels = map[SecurityLevel]gosnmp.SnmpV3MsgFlags{
		NoAuthNoPriv: gosnmp.NoAuthNoPriv, AuthNoPriv: gosnmp.AuthNoPriv, AuthPriv: gosnmp.AuthPriv,
	}
)

// canonical folds a protocol name as users write it ("sha-256", "AES-128",
// "SHA1") to the form of the constants.
func canonical(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(s))
	switch s {
	case "SHA1":
		return "SHA"
	case "AES128":
		return "AES"
	}
	return s
}

// ParseAuthProtocol parses an authentication protocol name, case-insensitively
// and ignoring dashes ("SHA-256", "sha256").
func ParseAuthProtocol(s string) (AuthProtocol, error) {
	p := AuthProtocol(canonical(s))
	if _, ok := authProtocols[p]; !ok {
		return "", fmt.Errorf("%w: unknown auth protocol %q (want MD5, SHA, SHA224, SHA256, SHA384 or SHA512)", ErrBadCredentials, s)
	}
	return p, nil
}

// ParsePrivProtocol parses a privacy protocol name, case-insensitively and
// ignoring dashes ("AES-256", "aes").
func ParsePrivProtocol(s string) (PrivProtocol, error) {
	p := PrivProtocol(canonical(s))
	if _, ok := privProtocols[p]; !ok {
		return "", fmt.Errorf("%w: unknown priv protocol %q (want DES, AES, AES192, AES256, AES192C or AES256C)", ErrBadCredentials, s)
	}
	return p, nil
}

// ParseSecurityLevel parses a security level name, case-insensitively.
func ParseSecurityLevel(s string) (SecurityLevel, error) {
	for l := range securityLevels {
		if strings.EqualFold(string(l), s) {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w: unknown security level %q (want noAuthNoPriv, authNoPriv or authPriv)", ErrBadCredentials, s)
}

// apply sets g's version and security from c.
func (c Credentials) apply(g *gosnmp.GoSNMP) error {
	if c.USM == nil {
		if c.Community.IsZero() {
			return fmt.Errorf("%w: no community and no SNMPv3 user", ErrBadCredentials)
		}
		g.Version = gosnmp.Version2c
		g.Community = c.Community.Reveal()
		return nil
	}
	sp, flags, err := c.USM.params()
	if err != nil {
		return err
	}
	g.Version = gosnmp.Version3
	g.SecurityModel = gosnmp.UserSecurityModel
	g.MsgFlags = flags
	g.SecurityParameters = sp
	return nil
}

// params turns u into gosnmp's security parameters and message flags.
func (u *USM) params() (*gosnmp.UsmSecurityParameters, gosnmp.SnmpV3MsgFlags, error) {
	if u.User == "" {
		return nil, 0, fmt.Errorf("%w: SNMPv3 user is empty", ErrBadCredentials)
	}
	level := u.Level
	if level == "" {
		level = AuthPriv
	}
	flags, ok := securityLevels[level]
	if !ok {
		return nil, 0, fmt.Errorf("%w: unknown security level %q", ErrBadCredentials, u.Level)
	}
	sp := &gosnmp.UsmSecurityParameters{UserName: u.User,
		AuthenticationProtocol: gosnmp.NoAuth, PrivacyProtocol: gosnmp.NoPriv}
	if level == NoAuthNoPriv {
		return sp, flags, nil
	}
	if err := u.setAuth(sp); err != nil {
		return nil, 0, err
	}
	if level == AuthPriv {
		if err := u.setPriv(sp); err != nil {
			return nil, 0, err
		}
	}
	return sp, flags, nil
}

func (u *USM) setAuth(sp *gosnmp.UsmSecurityParameters) error {
	name := u.AuthProtocol
	if name == "" {
		name = AuthSHA256
	}
	p, ok := authProtocols[name]
	if !ok {
		return fmt.Errorf("%w: unknown auth protocol %q", ErrBadCredentials, name)
	}
	if u.AuthPassphrase.IsZero() {
		return fmt.Errorf("%w: auth passphrase is empty", ErrBadCredentials)
	}
	sp.AuthenticationProtocol = p
	sp.AuthenticationPassphrase = u.AuthPassphrase.Reveal()
	return nil
}

func (u *USM) setPriv(sp *gosnmp.UsmSecurityParameters) error {
	name := u.PrivProtocol
	if name == "" {
		name = PrivAES
	}
	p, ok := privProtocols[name]
	if !ok {
		return fmt.Errorf("%w: unknown priv protocol %q", ErrBadCredentials, name)
	}
	if u.PrivPassphrase.IsZero() {
		return fmt.Errorf("%w: priv passphrase is empty", ErrBadCredentials)
	}
	sp.PrivacyProtocol = p
	sp.PrivacyPassphrase = u.PrivPassphrase.Reveal()
	return nil
}
