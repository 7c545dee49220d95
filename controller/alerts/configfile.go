package alerts

import (
	"bytes"
	"errors"
	"fmt"
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
		return Config{}, ConfigErrors(yamlProblems(name, err))
	}
	var es ConfigErrors
	if errors.As(c.Validate(), &es) {
		for _, e := range es {
			e.File, e.Line = name, lineOf(lines, e.Field)
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
