package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Output formats of -o.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
)

// Help is the help of every -o flag.
const Help = "output format: table, json or yaml (json and yaml carry watts, tables kW)"

// Check rejects an -o value that is not a format.
func Check(format string) error {
	switch format {
	case FormatTable, FormatJSON, FormatYAML:
		return nil
	}
	return fmt.Errorf("-o %q: want table, json or yaml", format)
}

// Data writes v as -o json or -o yaml asks. Both carry the same fields,
// named as in the API's JSON.
func Data(w io.Writer, format string, v any) error {
	switch format {
	case FormatJSON:
		return JSON(w, v)
	case FormatYAML:
		return YAML(w, v)
	}
	return fmt.Errorf("-o %q: not a data format", format)
}

// JSON writes v as indented JSON.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// YAML writes v as block YAML with its JSON field names and order:
// v is encoded as JSON, which YAML reads as it is, then written again in
// block style. Numbers keep their JSON spelling; strings that would read
// as something else (a number, null, a date) stay quoted.
func YAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("-o yaml: %w", err)
	}
	blockStyle(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("-o yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("-o yaml: %w", err)
	}
	_, err = w.Write(out.Bytes())
	return err
}

// blockStyle drops the flow style and quotes JSON gave every node, so that
// the encoder chooses: block collections, quotes only where needed.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// Table writes rows under a header in aligned columns, numbers (and "-")
// right-aligned so that their digits line up.
func Table(w io.Writer, header []string, rows [][]string) error {
	width := make([]int, len(header))
	numeric := make([]bool, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
		numeric[i] = len(rows) > 0
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
			numeric[i] = numeric[i] && isNumber(c)
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				l.WriteString("  ")
			}
			if numeric[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteString("\n")
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// isNumber says whether a cell is a number as the tables print them: digits
// with a sign, point or "≥" before, or "-" for unknown.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "≥")
	if s == "-" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// KW shows watts as kW for people, "-" when unknown.
func KW(w *float64) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *w/1000)
}

// Pct shows a ratio as a percentage, "-" when unknown.
func Pct(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *r*100)
}
