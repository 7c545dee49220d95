package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads a duration such as "90s" or "5m", and says on which
// line one is not.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a duration (90s, 5m, 1h)", n.Line)}}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a duration (90s, 5m, 1h), got %q", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// ParseConfig reads a site's thresholds from YAML; name is used in error
// messages. Fields left out keep DefaultConfig's values. Every problem is
// reported at once, each with its line: unknown fields, values of the
// wrong type and thresholds that Validate refuses. The error, if any, is a
// ConfigErrors that wraps ErrInvalidConfig.
func ParseConfig(name string, data []byte) (Config, error) {
	c := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, ConfigErrors(yamlProblems(name, err))
	}
	if len(root.Content) == 0 {
		return c, c.Validate() // an empty file: the defaults
	}
	lines := map[string]int{}
	indexLines(root.Content[0], "", lines)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, ConfigErrors(namedProblems(yamlProblems(name, err), lines))
	}
	// A second document would be read by no one: say so rather than have
	// a site believe thresholds the controller never saw.
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		e := &ConfigError{File: name, Line: next.Line, Msg: "a second YAML document: the thresholds are one document"}
		if err != nil {
			e = yamlProblems(name, err)[0]
		}
		return Config{}, ConfigErrors{e}
	}
	var es ConfigErrors
	if errors.As(c.Validate(), &es) {
		for _, e := range es {
			e.File, e.Line = name, lineOf(lines, e.Field)
			if l, ok := lines[e.also]; ok && lines[e.Field] == 0 {
				e.Line = l
			}
		}
		slices.SortStableFunc(es, func(a, b *ConfigError) int { return a.Line - b.Line })
		return Config{}, es
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblems turns the YAML library's errors into ConfigErrors with the
// file name and line.
func yamlProblems(name string, err error) []*ConfigError {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]*ConfigError, 0, len(msgs))
	for _, m := range msgs {
		e := &ConfigError{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(strings.TrimSpace(m)); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Msg = strings.ReplaceAll(g[2], "alerts.", "")
		}
		out = append(out, e)
	}
	return out
}

var unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// namedProblems names the field of each unknown-field problem by its path
// (rack.warn, found by its line in lines) and lists the fields that are
// known there, which the YAML library's message (the Go type) does not.
func namedProblems(es []*ConfigError, lines map[string]int) []*ConfigError {
	for _, e := range es {
		g := unknownField.FindStringSubmatch(e.Msg)
		if g == nil {
			continue
		}
		for path, l := range lines {
			if l != e.Line || (path != g[1] && !strings.HasSuffix(path, "."+g[1])) {
				continue
			}
			e.Field = path
			parent := strings.TrimSuffix(strings.TrimSuffix(path, g[1]), ".")
			e.Msg = "unknown field; known here: " + strings.Join(yamlFields(reflect.TypeFor[Config](), parent), ", ")
			break
		}
	}
	return es
}

// yamlFields lists the YAML names of the fields of the struct at path
// (dotted, "" for t itself) in t, in their order.
func yamlFields(t reflect.Type, path string) []string {
	for name := range strings.SplitSeq(path, ".") {
		if name == "" {
			continue
		}
		f, ok := fieldByYAML(t, name)
		if !ok {
			return nil
		}
		t = f.Type
	}
	var out []string
	for f := range t.Fields() {
		if n := yamlName(f); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// fieldByYAML finds the field of struct t that YAML names name.
func fieldByYAML(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for f := range t.Fields() {
		if yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlName is a field's name in YAML: its tag's, "" for none.
func yamlName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if n == "-" {
		return ""
	}
	return n
}

// indexLines records the line of every field under n by its dotted path.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := n.Content[i].Value
		if path != "" {
			p = path + "." + p
		}
		lines[p] = n.Content[i].Line
		indexLines(n.Content[i+1], p, lines)
	}
}

// lineOf finds the line of a field, or else of the nearest enclosing field
// in the file; 0 when the field and its parents were all left out.
func lineOf(lines map[string]int, path string) int {
	for p := path; p != ""; {
		if l, ok := lines[p]; ok {
			return l
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}
