package agent

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/collectors/snmp"
)

// Credentials are the entries of a credentials file, by the names that
// inventories use: SNMP ones for PDUs and cooling units (snmp.credentials),
// IPMI ones for servers' BMCs (bmc.credentials).
type Credentials struct {
	SNMP map[string]snmp.Credentials
	IPMI map[string]BMCCredentials
}

// BMCCredentials say how to open an IPMI session with a BMC.
type BMCCredentials struct {
	User     string
	Password ipmi.Password
	// CipherSuite is the entry's suite; zero means 17. A BMC's own
	// cipher_suite in the inventory overrides it.
	CipherSuite ipmi.CipherSuite
}

// The kinds of credentials entry.
const (
	kindSNMP = "snmp" // the default
	kindIPMI = "ipmi"
)

// credentialEntry is one named entry of a credentials file. Secrets are never
// written in the file itself: each is read from a file of its own or from an
// environment variable.
type credentialEntry struct {
	Kind string `yaml:"kind"` // snmp (the default) or ipmi

	// SNMP.
	Version            string `yaml:"version"` // v2c or v3
	CommunityFile      string `yaml:"community_file"`
	CommunityEnv       string `yaml:"community_env"`
	SecurityLevel      string `yaml:"security_level"` // default authPriv
	AuthProtocol       string `yaml:"auth_protocol"`  // default SHA256
	AuthPassphraseFile string `yaml:"auth_passphrase_file"`
	AuthPassphraseEnv  string `yaml:"auth_passphrase_env"`
	PrivProtocol       string `yaml:"priv_protocol"` // default AES
	PrivPassphraseFile string `yaml:"priv_passphrase_file"`
	PrivPassphraseEnv  string `yaml:"priv_passphrase_env"`

	// SNMPv3 and IPMI.
	User string `yaml:"user"`

	// IPMI.
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	CipherSuite  string `yaml:"cipher_suite"` // 17 (the default) or 3
}

// LoadCredentials reads a credentials file: a map from the names that
// inventories use to how to authenticate, e.g.
//
//	snmp-ro:
//	  version: v2c
//	  community_file: /etc/dcplane/secrets/snmp-ro
//	pdu-v3:
//	  version: v3
//	  user: dcplane
//	  auth_protocol: SHA256
//	  auth_passphrase_file: /etc/dcplane/secrets/pdu-auth
//	  priv_protocol: AES
//	  priv_passphrase_env: DCPLANE_PDU_PRIV
//	bmc-ro:
//	  kind: ipmi
//	  user: dcplane
//	  password_file: /etc/dcplane/secrets/bmc-ro
//	  cipher_suite: 17
func LoadCredentials(path string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	var raw map[string]credentialEntry
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("credentials %s: %w", path, err)
	}
	out := &Credentials{SNMP: map[string]snmp.Credentials{}, IPMI: map[string]BMCCredentials{}}
	for name, e := range raw {
		if err := e.add(out, name); err != nil {
			return nil, fmt.Errorf("credentials %s: %s: %w", path, name, err)
		}
	}
	return out, nil
}

// add checks the entry and adds it to out under name.
func (e credentialEntry) add(out *Credentials, name string) error {
	switch e.Kind {
	case "", kindSNMP:
		if f := e.ipmiField(); f != "" {
			return fmt.Errorf("%s is for kind ipmi entries", f)
		}
		c, err := e.credentials()
		out.SNMP[name] = c
		return err
	case kindIPMI:
		if f := e.snmpField(); f != "" {
			return fmt.Errorf("%s is for SNMP entries, not kind ipmi", f)
		}
		c, err := e.bmc()
		out.IPMI[name] = c
		return err
	}
	return fmt.Errorf("kind %q: want snmp or ipmi", e.Kind)
}

// ipmiField names an IPMI field the entry sets, or is "".
func (e credentialEntry) ipmiField() string {
	return firstSet([][2]string{{"password_file", e.PasswordFile}, {"password_env", e.PasswordEnv}, {"cipher_suite", e.CipherSuite}})
}

// snmpField names an SNMP field the entry sets, or is "".
func (e credentialEntry) snmpField() string {
	return firstSet([][2]string{{"version", e.Version}, {"community_file", e.CommunityFile}, {"community_env", e.CommunityEnv},
		{"security_level", e.SecurityLevel}, {"auth_protocol", e.AuthProtocol}, {"auth_passphrase_file", e.AuthPassphraseFile},
		{"auth_passphrase_env", e.AuthPassphraseEnv}, {"priv_protocol", e.PrivProtocol},
		{"priv_passphrase_file", e.PrivPassphraseFile}, {"priv_passphrase_env", e.PrivPassphraseEnv}})
}

func firstSet(fields [][2]string) string {
	for _, f := range fields {
		if f[1] != "" {
			return f[0]
		}
	}
	return ""
}

// bmc checks an IPMI entry: a user, a password from a file or the
// environment, and a suite of 17 or 3 if any.
func (e credentialEntry) bmc() (BMCCredentials, error) {
	c := BMCCredentials{User: e.User}
	if c.User == "" {
		return c, fmt.Errorf("user is required for kind ipmi")
	}
	var err error
	if c.Password, err = ipmi.LoadPassword(e.PasswordFile, e.PasswordEnv); err != nil {
		return c, fmt.Errorf("password (password_file or password_env): %w", err)
	}
	if e.CipherSuite != "" {
		if c.CipherSuite, err = ipmi.ParseCipherSuite(e.CipherSuite); err != nil {
			return c, fmt.Errorf("cipher_suite: %w", err)
		}
	}
	return c, nil
}

func (e credentialEntry) credentials() (snmp.Credentials, error) {
	switch e.Version {
	case "v2c":
		s, err := snmp.LoadSecret(e.CommunityFile, e.CommunityEnv)
		if err != nil {
			return snmp.Credentials{}, fmt.Errorf("community (community_file or community_env): %w", err)
		}
		return snmp.Credentials{Community: s}, nil
	case "v3":
		return e.usm()
	}
	return snmp.Credentials{}, fmt.Errorf("version %q: want v2c or v3", e.Version)
}

func (e credentialEntry) usm() (snmp.Credentials, error) {
	u := &snmp.USM{User: e.User}
	var err error
	if u.User == "" {
		return snmp.Credentials{}, fmt.Errorf("user is required for v3")
	}
	if u.Level, err = snmp.ParseSecurityLevel(or(e.SecurityLevel, string(snmp.AuthPriv))); err != nil {
		return snmp.Credentials{}, err
	}
	if u.Level == snmp.NoAuthNoPriv {
		return snmp.Credentials{USM: u}, nil
	}
	if u.AuthProtocol, err = snmp.ParseAuthProtocol(or(e.AuthProtocol, string(snmp.AuthSHA256))); err != nil {
		return snmp.Credentials{}, err
	}
	if u.AuthPassphrase, err = snmp.LoadSecret(e.AuthPassphraseFile, e.AuthPassphraseEnv); err != nil {
		return snmp.Credentials{}, fmt.Errorf("auth passphrase: %w", err)
	}
	if u.Level == snmp.AuthNoPriv {
		return snmp.Credentials{USM: u}, nil
	}
	if u.PrivProtocol, err = snmp.ParsePrivProtocol(or(e.PrivProtocol, string(snmp.PrivAES))); err != nil {
		return snmp.Credentials{}, err
	}
	if u.PrivPassphrase, err = snmp.LoadSecret(e.PrivPassphraseFile, e.PrivPassphraseEnv); err != nil {
		return snmp.Credentials{}, fmt.Errorf("priv passphrase: %w", err)
	}
	return snmp.Credentials{USM: u}, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
