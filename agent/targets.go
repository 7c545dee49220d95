package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
)

// credentialEntry is one named entry of a credentials file. Secrets are never
// written in the file itself: each is read from a file of its own or from an
// environment variable.
type credentialEntry struct {
	Version            string `yaml:"version"` // v2c or v3
	CommunityFile      string `yaml:"community_file"`
	CommunityEnv       string `yaml:"community_env"`
	User               string `yaml:"user"`
	SecurityLevel      string `yaml:"security_level"` // default authPriv
	AuthProtocol       string `yaml:"auth_protocol"`  // default SHA256
	AuthPassphraseFile string `yaml:"auth_passphrase_file"`
	AuthPassphraseEnv  string `yaml:"auth_passphrase_env"`
	PrivProtocol       string `yaml:"priv_protocol"` // default AES
	PrivPassphraseFile string `yaml:"priv_passphrase_file"`
	PrivPassphraseEnv  string `yaml:"priv_passphrase_env"`
}

// LoadCredentials reads a credentials file: a map from the names that
// inventories use in snmp.credentials to how to authenticate, e.g.
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
func LoadCredentials(path string) (map[string]snmp.Credentials, error) {
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
	out := make(map[string]snmp.Credentials, len(raw))
	for name, e := range raw {
		c, err := e.credentials()
		if err != nil {
			return nil, fmt.Errorf("credentials %s: %s: %w", path, name, err)
		}
		out[name] = c
	}
	return out, nil
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

// snmpPoller polls one device over SNMP with one profile.
type snmpPoller struct {
	c *snmp.Collector
	t snmp.Target
	p snmp.Profile
}

func (s snmpPoller) Poll(ctx context.Context) collectors.Status { return s.c.Poll(ctx, s.t, s.p) }

// Selection picks the devices of an inventory an agent polls. Empty fields
// match everything.
type Selection struct{ Hall, Row string }

// Skipped is a device an agent cannot poll, and why.
type Skipped struct{ Device, Reason string }

// Targets builds the targets of the selected PDUs and cooling units of a
// site. Devices whose profile is unknown, or whose credentials are not in
// creds, are skipped and listed, so that one unsupported device does not stop
// the polling of the rest.
func Targets(site *inventory.Site, sel Selection, creds map[string]snmp.Credentials, c *snmp.Collector) ([]Target, []Skipped) {
	var out []Target
	var skipped []Skipped
	add := func(id string, ep inventory.Endpoint) {
		p, err := snmp.LookupProfile(ep.Profile)
		if err != nil {
			skipped = append(skipped, Skipped{id, err.Error()})
			return
		}
		cr, ok := creds[ep.Credentials]
		if !ok {
			skipped = append(skipped, Skipped{id, fmt.Sprintf("credentials %q are not in the credentials file", ep.Credentials)})
			return
		}
		out = append(out, Target{Device: id, Poller: snmpPoller{c, snmp.Target{Address: ep.Address, Name: id, Credentials: cr}, p}})
	}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		for ri := range h.Rows {
			r := &h.Rows[ri]
			if (sel.Hall != "" && sel.Hall != h.ID) || (sel.Row != "" && sel.Row != r.ID) {
				continue
			}
			for id, ep := range r.Devices() {
				add(id, *ep)
			}
		}
	}
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Device < skipped[j].Device })
	return out, skipped
}
