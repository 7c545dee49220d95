package whatif

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dcplane/dcplane/internal/levenshtein"
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
		if d := levenshtein.Distance(q, strings.ToLower(c)); d <= far {
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
