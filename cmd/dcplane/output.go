package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a header in aligned columns, numbers (and "-")
// right-aligned so that their digits line up.
func table(w io.Writer, header []string, rows [][]string) error {
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

// kw shows watts as kW for people, "-" when unknown.
func kw(w *float64) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *w/1000)
}

// pct shows a ratio as a percentage, "-" when unknown.
func pct(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *r*100)
}
