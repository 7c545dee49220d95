package levenshtein

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Nearest returns up to n of the names in have nearest to want, ignoring
// case and the leading zeros of numbers (h1-r1-k1 is H1-R01-K01): the
// fewest edits away first, then the fewest edits as typed, then the
// longest common prefix, then in name order. Names that differ from want
// only in case and zeros are the only suggestions when there are some;
// a name more than a third of want's length away (or 2 edits for a short
// one) is never one.
func Nearest(want string, have []string, n int) []string {
	type cand struct {
		name                string
		dist, typed, prefix int
	}
	w, wl := nameKey(want), []rune(strings.ToLower(want))
	limit := max(2, len(w)/3)
	var cs []cand
	for _, h := range have {
		if d := Distance(string(w), string(nameKey(h))); d <= limit {
			hl := []rune(strings.ToLower(h))
			cs = append(cs, cand{h, d, Distance(string(wl), string(hl)), commonPrefix(wl, hl)})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.typed, b.typed),
			cmp.Compare(b.prefix, a.prefix), cmp.Compare(a.name, b.name))
	})
	if len(cs) > 0 && cs[0].dist == 0 {
		// Names that differ only in case or zeros are what was meant.
		cs = slices.DeleteFunc(cs, func(c cand) bool { return c.dist > 0 })
	}
	out := make([]string, 0, n)
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.name)
	}
	return out
}

// nameKey is a name as Nearest compares it: lower case, numbers without
// their leading zeros.
func nameKey(s string) []rune {
	rs := []rune(strings.ToLower(s))
	var out []rune
	for i, r := range rs {
		if r == '0' && (len(out) == 0 || !unicode.IsDigit(out[len(out)-1])) &&
			i+1 < len(rs) && unicode.IsDigit(rs[i+1]) {
			continue // a leading zero of a number that goes on
		}
		out = append(out, r)
	}
	return out
}

// commonPrefix is how many runes a and b share at their start.
func commonPrefix(a, b []rune) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
