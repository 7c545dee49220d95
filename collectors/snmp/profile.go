package snmp

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp/profiles"
)

// Profile knows one family of devices: which subtrees to read and how to
// turn the varbinds into normalised readings. A profile does no I/O; the
// Collector walks its Roots and hands the answer to Parse, so that a profile
// is tested on captured varbinds. The profiles of this package are
// declarative (*Def, loaded from profiles/*.yaml); Auto stands for "the
// profile that matches the device".
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

// DefaultProfile is the profile a probe uses when none is named: the one
// that matches the device.
const DefaultProfile = profiles.Auto

// Auto is the Profile that stands for "detect the device's profile": the
// Collector reads sysObjectID (and, where a profile asks, probes an object)
// and polls through the profile that matches. Its own Roots and Parse are
// empty; only a Collector can resolve it.
type Auto struct{}

// Name returns "auto".
func (Auto) Name() string { return profiles.Auto }

// Roots returns nothing: the detected profile has the roots.
func (Auto) Roots() []string { return nil }

// Parse fails: Auto has to be resolved by a Collector first.
func (Auto) Parse([]gosnmp.SnmpPDU, int) ([]collectors.Reading, error) {
	return nil, fmt.Errorf("%w: profile auto is resolved by the Collector", ErrUnknownProfile)
}

var (
	loadOnce   sync.Once
	loadedDefs []*Def
	loadErr    error
)

// Defs returns every built-in profile, loaded and validated once from the
// embedded files. It panics if they do not load: they are part of the
// binary, and TestProfilesLoad keeps them loading.
func Defs() []*Def {
	loadOnce.Do(func() { loadedDefs, loadErr = loadProfiles(profiles.FS) })
	if loadErr != nil {
		panic("snmp: built-in profiles: " + loadErr.Error())
	}
	return loadedDefs
}

// LookupProfile returns the built-in profile called name (or one of its
// aliases, or Auto for "auto"), or an error wrapping ErrUnknownProfile that
// lists the known names.
func LookupProfile(name string) (Profile, error) {
	if name == profiles.Auto {
		return Auto{}, nil
	}
	if d := lookupDef(name); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
}

func lookupDef(name string) *Def {
	for _, d := range Defs() {
		if d.name == name || slices.Contains(d.aliases, name) {
			return d
		}
	}
	return nil
}

// ProfileNames returns the names of the built-in profiles and "auto",
// sorted (aliases left out).
func ProfileNames() []string {
	names := []string{profiles.Auto}
	for _, d := range Defs() {
		names = append(names, d.name)
	}
	slices.Sort(names)
	return names
}

// builtinFS is the embedded profile files.
func builtinFS() fs.FS { return profiles.FS }
