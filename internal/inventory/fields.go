package inventory

import (
	"reflect"
	"regexp"
	"strings"
)

// knownFields maps each inventory type's name to the YAML keys it takes.
var knownFields = func() map[string][]string {
	m := map[string][]string{}
	for _, v := range []any{Site{}, Hall{}, Row{}, Rack{}, PDU{}, CoolingUnit{}, Server{}, Endpoint{}} {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				m[t.Name()] = append(m[t.Name()], tag)
			}
		}
	}
	return m
}()

var unknownField = regexp.MustCompile(`^field (\S+) not found in type (?:inventory\.)?(\w+)$`)

// explainUnknown turns the YAML library's "field X not found in type T" at a
// line into the field's path and a suggestion of the key meant.
func (s *Site) explainUnknown(fe *FieldError) {
	g := unknownField.FindStringSubmatch(fe.Msg)
	if g == nil {
		return
	}
	key, typ := g[1], g[2]
	for path, line := range s.lines {
		if line == fe.Line && (path == key || strings.HasSuffix(path, "."+key)) {
			fe.Field = path
			break
		}
	}
	fe.Msg = "unknown field"
	if best := closest(key, knownFields[typ]); best != "" {
		fe.Msg += "; did you mean " + best + "?"
	} else if len(knownFields[typ]) > 0 {
		fe.Msg += "; known here: " + strings.Join(knownFields[typ], ", ")
	}
}

// closest returns the candidate within two edits of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
