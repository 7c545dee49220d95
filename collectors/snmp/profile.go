package snmp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// Profile knows one family of devices: which subtrees to read and how to
// turn the varbinds into normalised readings. A profile does no I/O; the
// Collector walks its Roots and hands the answer to Parse, so that a profile
// is tested on captured varbinds.
type Profile interface {
	// Name is the profile's name in configuration ("apc-rpdu2").
	Name() string
	// Roots are the OID subtrees a poll walks, each with GETBULK.
	Roots() []string
	// Parse turns the varbinds of all the walks into the readings of one
	// module (see Target.Module; 0 means the host). It returns an error
	// wrapping ErrNoSuchObject when the device lacks what the profile
	// needs, and one wrapping ErrDecode when the answer cannot be trusted.
	Parse(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error)
}

// DefaultProfile is the profile a probe uses when none is named.
const DefaultProfile = "apc-rpdu2"

// builtinProfiles returns every profile this package knows, fresh each time
// so that there is no shared mutable registry. Add new profiles here.
func builtinProfiles() []Profile {
	return []Profile{RPDU2{}, InRow{}}
}

// LookupProfile returns the built-in profile called name, or an error
// wrapping ErrUnknownProfile that lists the known names.
func LookupProfile(name string) (Profile, error) {
	for _, p := range builtinProfiles() {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames returns the names of the built-in profiles, sorted.
func ProfileNames() []string {
	var names []string
	for _, p := range builtinProfiles() {
		names = append(names, p.Name())
	}
	slices.Sort(names)
	return names
}
