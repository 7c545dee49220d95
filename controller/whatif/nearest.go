package whatif

import (
	"cmp"
	"slices"
	"strings"
)

// maxSuggestions bounds how many names a NotFoundError suggests.
const maxSuggestions = 3

// nearest returns up to maxSuggestions of ids closest to id by edit
// distance, ignoring case, closest first (ties in ids' order), leaving out
// those so far that they would not help: more than half of id's length
// away (and more than 2).
func nearest(id string, ids []string) []string {
	type cand struct {
		id   string
		dist int
		at   int
	}
	q := strings.ToLower(id)
	far := max(2, len([]rune(q))/2)
	var cs []cand
	for i, c := range ids {
		if d := distance(q, strings.ToLower(c)); d <= far {
			cs = append(cs, cand{c, d, i})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.at, b.at)) })
	var out []string
	for _, c := range cs {
		if len(out) < maxSuggestions && !slices.Contains(out, c.id) {
			out = append(out, c.id)
		}
	}
	return out
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			sub := prev[j-1]
			if ra[i-1] != rb[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
