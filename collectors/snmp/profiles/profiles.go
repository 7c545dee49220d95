// Package profiles holds the declarative SNMP device profiles, one YAML file
// per family of devices, embedded in the binary. collectors/snmp loads,
// validates and runs them; this package only carries the files, so that
// packages which need the profiles' names (inventory validation) do not
// depend on the SNMP engine.
//
// The format is described in README.md beside the files.
package profiles

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// FS holds the profile files: *.yaml are profiles, shared/*.yaml are the
// pieces several profiles include.
//
//go:embed *.yaml shared/*.yaml
var FS embed.FS

// Auto is the profile name that asks the collector to choose the profile
// from the device's sysObjectID.
const Auto = "auto"

// Names returns the name and aliases of every profile, and Auto, sorted.
// A file that does not parse contributes nothing here: the SNMP engine
// reports it, with its line, when it loads the profiles. The files are
// embedded, so they are read once; the caller gets its own copy.
func Names() []string { return slices.Clone(names()) }

// names reads the names once: inventory validation asks for every device
// of a site (2,000 of them), and parsing every profile each time cost
// seconds.
var names = sync.OnceValue(readNames)

func readNames() []string {
	names := []string{Auto}
	files, _ := fs.Glob(FS, "*.yaml")
	for _, f := range files {
		b, err := FS.ReadFile(f)
		if err != nil {
			continue
		}
		var head struct {
			Name    string   `yaml:"name"`
			Aliases []string `yaml:"aliases"`
		}
		if yaml.Unmarshal(b, &head) != nil || head.Name == "" {
			continue
		}
		names = append(names, head.Name)
		names = append(names, head.Aliases...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Known reports whether name is a profile name (or alias, or Auto).
// Matching is exact: profile names are lower case.
func Known(name string) bool {
	_, found := slices.BinarySearch(names(), strings.TrimSpace(name))
	return found && name == strings.TrimSpace(name)
}
