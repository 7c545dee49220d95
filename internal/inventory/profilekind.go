package inventory

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/collectors/snmp/profiles"
)

// The kinds of device a collector profile declares (its "kind:"), as the
// inventory's devices are: a PDU's profile must be a PDU's.
const (
	kindPDU     = "pdu"
	kindCooling = "cooling"
)

// kindNames are the kinds as a person says them.
var kindNames = map[string]string{kindPDU: "PDU", kindCooling: "cooling unit", "ups": "UPS", "env": "environment sensor"}

// kindsOfProfiles are the kinds the profiles declare.
type kindsOfProfiles struct {
	of     map[string]string   // every profile name and alias → its kind ("" for none)
	byKind map[string][]string // a kind → its profiles' names, sorted
}

// profileKinds reads the kinds the profiles declare. The files are
// embedded: read once.
var profileKinds = sync.OnceValue(func() kindsOfProfiles {
	k := kindsOfProfiles{of: map[string]string{}, byKind: map[string][]string{}}
	files, _ := fs.Glob(profiles.FS, "*.yaml")
	for _, f := range files {
		b, err := profiles.FS.ReadFile(f)
		if err != nil {
			continue
		}
		var head struct {
			Name    string   `yaml:"name"`
			Aliases []string `yaml:"aliases"`
			Kind    string   `yaml:"kind"`
		}
		if yaml.Unmarshal(b, &head) != nil || head.Name == "" {
			continue // the SNMP engine reports it when it loads the profiles
		}
		for _, n := range append([]string{head.Name}, head.Aliases...) {
			k.of[n] = head.Kind
		}
		k.byKind[head.Kind] = append(k.byKind[head.Kind], head.Name)
	}
	for _, names := range k.byKind {
		slices.Sort(names)
	}
	return k
})

// profileOfOtherKind says why profile, a known one, does not fit a device
// of kind want: the kind of device it reads. It returns "" when it fits,
// or when the profile declares no kind (or is auto).
func profileOfOtherKind(profile, want string) string {
	k := profileKinds()
	got := k.of[profile]
	if got == "" || got == want {
		return ""
	}
	msg := fmt.Sprintf("profile %s is a %s's, not a %s's", profile, nameOfKind(got), nameOfKind(want))
	if names := k.byKind[want]; len(names) > 0 {
		msg += fmt.Sprintf(" (a %s's: %s, or auto)", nameOfKind(want), strings.Join(names, ", "))
	}
	return msg
}

func nameOfKind(k string) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return k
}
