package inventory

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Marshal writes a site as YAML in the inventory format, with the short
// mappings (endpoints, feeds, labels: their fields are tagged flow) and each
// server on one line, so that a large site stays readable. A server's fields
// that its model gives are left out (see Server.MarshalYAML).
func Marshal(s *Site) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("inventory: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("inventory: encode: %w", err)
	}
	return b.Bytes(), nil
}

// MarshalYAML writes a server on one line, in flow style, with only the
// fields that are set and differ from its model's (or, with no model, from
// the defaults), so that an inventory file says only where a server differs
// from the catalogue. GPUs are the one field whose 0 is worth writing: a GPU
// model's server with none. (A server with no height has not had its
// defaults applied: all its zeros mean "left out".)
//
// The node is built by hand: encoding each of 18,000 servers through the
// YAML library's Node.Encode, which writes and parses text, took a second.
func (s Server) MarshalYAML() (any, error) {
	m, ok := serverModels[s.Model]
	if !ok {
		m = &ServerModel{HeightU: 1} // no model, or an unknown one: only the height has a default
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	n.Content = append(n.Content, str("id"), str(s.ID), str("u"), number(s.U))
	field(n, "height_u", s.HeightU, m.HeightU, false)
	if len(s.PSUFeeds) > 0 {
		feeds := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, f := range s.PSUFeeds {
			feeds.Content = append(feeds.Content, str(f))
		}
		n.Content = append(n.Content, str("psu_feeds"), feeds)
	}
	field(n, "nameplate_w", s.NameplateW, m.NameplateW, false)
	if s.Model != "" {
		n.Content = append(n.Content, str("model"), str(s.Model))
	}
	field(n, "cpu_millicores", s.CPUMillicores, m.CPUMillicores, false)
	field(n, "memory_mib", s.MemoryMiB, m.MemoryMiB, false)
	field(n, "gpus", s.GPUs, m.GPUs, s.HeightU != 0)
	field(n, "idle_w", s.IdleW, m.IdleW, false)
	field(n, "max_w", s.MaxW, m.MaxW, false)
	return n, nil
}

// field adds key: v to a mapping when v differs from the model's value and is
// set (or zero may be written).
func field[T int | int64 | float64](n *yaml.Node, key string, v, model T, zero bool) {
	if v != model && (v != 0 || zero) {
		n.Content = append(n.Content, str(key), number(v))
	}
}

// str is a string's node, tagged so that the library quotes a string that
// would read as something else ("007", "yes").
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// number is a number's node, written as the YAML library writes one.
func number[T int | int64 | float64](v T) *yaml.Node {
	var s string
	switch v := any(v).(type) {
	case float64:
		s = yamlFloat(v)
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

// yamlFloat writes a float as the YAML library does.
func yamlFloat(v float64) string {
	switch s := strconv.FormatFloat(v, 'g', -1, 64); s {
	case "+Inf":
		return ".inf"
	case "-Inf":
		return "-.inf"
	case "NaN":
		return ".nan"
	default:
		return s
	}
}
