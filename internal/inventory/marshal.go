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
//
// The YAML library's emitter keeps every event of a document until the
// document ends: the 460-rack site in one piece took 280 MB. So each level
// is written with its list left empty and the list's items, down to each
// rack, are encoded on their own and put in its place.
func Marshal(s *Site) ([]byte, error) {
	site := *s
	site.Halls = nil
	b, err := nest(site, "halls", len(s.Halls), func(i int) ([]byte, error) {
		h := s.Halls[i]
		hall := h
		hall.Rows = nil
		return nest(hall, "rows", len(h.Rows), func(j int) ([]byte, error) {
			row := h.Rows[j]
			row.Racks = nil
			return nest(row, "racks", len(h.Rows[j].Racks), func(k int) ([]byte, error) {
				return encode(h.Rows[j].Racks[k])
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("inventory: encode: %w", err)
	}
	return b, nil
}

// nest encodes v, a mapping whose list under key is empty, and writes the n
// items that item gives into that list, in the layout the encoder gives a
// list (each item's lines indented by 2, the first after "- ").
func nest(v any, key string, n int, item func(int) ([]byte, error)) ([]byte, error) {
	b, err := encode(v)
	if err != nil || n == 0 {
		return b, err
	}
	// The empty list is a line of its own at the left margin: the mapping's
	// own key (a block scalar's lines are indented).
	empty := []byte(key + ": []\n")
	at := bytes.Index(b, append([]byte("\n"), empty...)) + 1
	if !bytes.HasPrefix(b, empty) && at == 0 {
		return nil, fmt.Errorf("no empty %s in %q", key, b)
	}
	var out bytes.Buffer
	out.Write(b[:at])
	out.WriteString(key + ":\n")
	for i := range n {
		t, err := item(i)
		if err != nil {
			return nil, err
		}
		for j, line := range bytes.SplitAfter(t, []byte("\n")) {
			switch {
			case len(line) == 0:
			case j == 0:
				out.WriteString("  - ")
			case len(line) > 1:
				out.WriteString("    ")
			}
			out.Write(line)
		}
	}
	out.Write(b[at+len(empty):])
	return out.Bytes(), nil
}

// encode writes v as a YAML document of its own, indented by 2.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
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
	if s.BMC != nil {
		n.Content = append(n.Content, str("bmc"), s.BMC.node())
	}
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
