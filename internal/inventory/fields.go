package inventory

import (
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/internal/levenshtein"
)

// knownFields maps each inventory type's name to the YAML keys it takes, and
// fieldTypes each type to the types of the values of its keys.
var knownFields, fieldTypes = func() (map[string][]string, map[reflect.Type]map[string]reflect.Type) {
	names, types := map[string][]string{}, map[reflect.Type]map[string]reflect.Type{}
	for _, v := range []any{Site{}, Hall{}, Row{}, Rack{}, PDU{}, CoolingUnit{}, Server{}, Endpoint{}, BMC{}} {
		t := reflect.TypeOf(v)
		types[t] = map[string]reflect.Type{}
		for i := range t.NumField() {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				names[t.Name()] = append(names[t.Name()], tag)
				types[t][tag] = t.Field(i).Type
			}
		}
	}
	return names, types
}()

// knownKeys says whether every key of the mappings under n is one that the
// type it decodes into takes. It says no when it cannot tell (an alias, a
// merge key), so that the strict decoder decides.
func knownKeys(n *yaml.Node, t reflect.Type) bool {
	if t.Kind() == reflect.Pointer { // an optional part, such as a server's bmc
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		return len(n.Content) == 1 && knownKeys(n.Content[0], t)
	case yaml.AliasNode:
		return false
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return true // decoding reports the mismatch
		}
		for _, c := range n.Content {
			if !knownKeys(c, t.Elem()) {
				return false
			}
		}
	case yaml.MappingNode:
		fields := fieldTypes[t]
		for i := 0; i+1 < len(n.Content); i += 2 {
			vt := t
			switch {
			case fields != nil:
				if vt = fields[n.Content[i].Value]; vt == nil {
					return false
				}
			case t.Kind() == reflect.Map:
				vt = t.Elem()
			}
			if !knownKeys(n.Content[i+1], vt) {
				return false
			}
		}
	}
	return true
}

var unknownField = regexp.MustCompile(`^field (\S+) not found in type (?:inventory\.)?(\w+)$`)

// explainUnknown turns the YAML library's "field X not found in type T" at a
// line into the field's path and a suggestion of the key meant. It returns
// the path of the field meant ("" if none, or if the path is not known):
// that field missing is the same mistake, not another.
func (s *Site) explainUnknown(fe *FieldError) (meant string) {
	g := unknownField.FindStringSubmatch(fe.Msg)
	if g == nil {
		return ""
	}
	key, typ := g[1], g[2]
	for path, line := range s.lines {
		if line == fe.Line && (path == key || strings.HasSuffix(path, "."+key)) {
			fe.Field = path
			break
		}
	}
	fe.Msg = "unknown field"
	best := closest(key, knownFields[typ])
	switch {
	case best != "":
		fe.Msg += "; did you mean " + best + "?"
		if fe.Field != "" {
			meant = strings.TrimSuffix(fe.Field, key) + best
		}
	case len(knownFields[typ]) > 0:
		fe.Msg += "; known here: " + strings.Join(knownFields[typ], ", ")
	}
	return meant
}

// withoutMeantMissing drops from problems those that say a field is
// required which an unknown field, misspelt, was meant to be (profil:
// apc-rpdu2 is one mistake, not an unknown field and a missing profile).
func withoutMeantMissing(problems []*FieldError, meant map[string]bool) []*FieldError {
	return slices.DeleteFunc(problems, func(fe *FieldError) bool {
		return meant[fe.Field] && strings.HasPrefix(fe.Msg, "is required")
	})
}

// closest returns the candidate within two edits of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
