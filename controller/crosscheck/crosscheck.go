package crosscheck

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Server is what a server's BMC says, as of its last poll: the API's
// answer for one server and the input of Check.
type Server struct {
	ID   string `json:"id"`
	Rack string `json:"rack"`
	// Fresh is false when the BMC has not answered lately (or the server
	// has no BMC): every reading below is then unknown.
	Fresh  bool   `json:"fresh"`
	Reason string `json:"reason,omitempty"` // why it is not fresh
	// Watts is the server's input power (DCMI, or its PSUs' sum); nil
	// when unknown, never 0 for unknown.
	Watts *float64 `json:"watts"`
	// Resolution is the step of Watts (1 W for DCMI, a sensor's watts
	// per count): the reading may be off by half of it. Nil when the BMC
	// (or an agent older than collectors.PowerResolutionWatts) does not say.
	Resolution *float64 `json:"resolution_watts,omitempty"`
	// DeclaredWatts is its nameplate (or maximum) power, from the inventory.
	DeclaredWatts float64 `json:"declared_watts,omitempty"`
	PSUs          []PSU   `json:"psus"`
}

// PSU is one power supply of a server: where the inventory says it is
// plugged and what the BMC says of it. Nil fields are unknown.
type PSU struct {
	Index int      `json:"index"` // 1-based, in the BMC's order
	Feed  string   `json:"feed"`  // as inventoried
	Watts *float64 `json:"watts"` // input power
	// Resolution is the step of Watts: its sensor's watts per count (an
	// 8-bit sensor that spans a 1 kW PSU reads in 4 W steps), so that Watts
	// may be off by half of it. Nil when not stated.
	Resolution *float64 `json:"resolution_watts,omitempty"`
	Present    *bool    `json:"present,omitempty"`
	InputOK    *bool    `json:"input_ok,omitempty"`
	Healthy    *bool    `json:"healthy,omitempty"`
}

// Tolerance is how far a feed's PDUs and its PSUs may disagree: Watts plus
// Share of what the PDUs measure, for what neither reading accounts for,
// plus half the step of every reading compared, for what the readings
// cannot tell.
//
// The steps add up: a rack of forty servers of one model, at one load,
// has forty PSU readings rounded alike, so a feed's PSU sum may be off by
// forty half-steps (80 W at 4 W a count) with nothing wrong. A
// disagreement within that is no finding, however tight Watts and Share.
type Tolerance struct {
	Watts float64
	Share float64
	// PDUResolution is the step of a PDU's power reading (10 W for one
	// that reports hundredths of a kW, as APC's rPDU2 does); PSUResolution
	// that of a PSU's input power whose BMC does not state its own
	// (PSU.Resolution). 0 takes such readings as exact.
	PDUResolution, PSUResolution float64
}

// of is the tolerance of a feed whose PDUs measure pdu watts, beside the
// readings' resolution.
func (t Tolerance) of(pdu float64) float64 { return t.Watts + t.Share*pdu }

// psuStep is the step of p's input power reading.
func (t Tolerance) psuStep(p PSU) float64 {
	if p.Resolution != nil && *p.Resolution > 0 && !math.IsInf(*p.Resolution, 1) {
		return *p.Resolution
	}
	return t.PSUResolution
}

// Kind says what a Finding found.
type Kind string

// The kinds of finding.
const (
	// Miswired: a server whose PSUs draw from one feed, though the
	// inventory puts one on another (its PSU is named).
	Miswired Kind = "miswired"
	// NoDraw: a PSU that draws nothing while its server draws power.
	NoDraw Kind = "psu-no-draw"
	// Unexplained: a feed's PDUs and its PSUs disagree beyond the
	// tolerance, and no miswiring explains it (Watts > 0: the PDUs
	// measure more than the PSUs say).
	Unexplained Kind = "unexplained"
	// Elsewhere: a server whose PSUs' draw is missing from its rack's
	// PDUs and shows on another rack's (see Elsewhere).
	DrawsElsewhere Kind = "draws-elsewhere"
)

// Finding is one disagreement, with its numbers.
type Finding struct {
	Kind   Kind
	Rack   string
	Feed   string // the feed judged (Miswired: the feed the PSU is inventoried on)
	PDU    string // Unexplained: the feed's first PDU
	Server string // Miswired, NoDraw
	PSU    int    // Miswired, NoDraw: 1-based
	// Alike lists, for Miswired, the other servers with a PSU on the same
	// feed drawing within the tolerance's Watts of Server's: the sums
	// cannot tell them apart, so any of them may be the one miswired.
	Alike []string
	// Watts is the finding's value: Miswired, what the PSU draws (the
	// power that shows on the wrong feed); NoDraw, what its server
	// draws; Unexplained, the PDUs' figure less the PSUs'.
	Watts float64
	// PDUWatts and PSUWatts are the feed's two sums (NoDraw: the PSU's own
	// reading, 0, and none); Limit is the tolerance they were held to
	// (Elsewhere: the largest of the feeds compared), of which Resolution
	// allows for the readings' steps (Unexplained, Miswired).
	PDUWatts, PSUWatts, Limit, Resolution float64
	// PSUs are, for Elsewhere, the server's PSUs (1-based) whose draw is
	// missing from Rack's PDUs; Watts is their sum.
	PSUs []int
	// From is, for Elsewhere, the rack whose PDUs appear to carry that
	// draw; Also lists the other racks whose PDUs show it as well (the
	// sums cannot tell which).
	From string
	Also []string
	// Missing is, for Elsewhere, how much less Rack's PDUs measure than
	// its servers' PSUs say, over its feeds; Extra how much more From's
	// PDUs measure than its own servers explain.
	Missing, Extra float64
}

// String says the finding for people, with its numbers.
func (f Finding) String() string {
	switch f.Kind {
	case Miswired:
		s := fmt.Sprintf("server %s draws from one feed: its PSU %d, inventoried on feed %s, draws %.0f W that feed %s's PDUs do not measure (PDUs %.0f W, PSUs %.0f W)",
			f.Server, f.PSU, f.Feed, f.Watts, f.Feed, f.PDUWatts, f.PSUWatts)
		if len(f.Alike) > 0 {
			s += fmt.Sprintf("; or %s, whose PSUs on feed %s draw alike", strings.Join(f.Alike, ", "), f.Feed)
		}
		return s
	case NoDraw:
		return fmt.Sprintf("server %s draws %.0f W but its PSU %d (feed %s) draws nothing: the server has no redundancy", f.Server, f.Watts, f.PSU, f.Feed)
	case DrawsElsewhere:
		return f.elsewhere()
	}
	what := "more than its servers' PSUs explain"
	if f.Watts < 0 {
		what = "less than its servers' PSUs say they draw"
	}
	return fmt.Sprintf("rack %s feed %s: PDU %s measures %.0f W, %s (%.0f W, off by %+.0f W, tolerance %.0f W%s)",
		f.Rack, f.Feed, f.PDU, f.PDUWatts, what, f.PSUWatts, f.Watts, f.Limit, f.resolution())
}

// resolution says how much of the finding's limit allows for the
// readings' steps, if any.
func (f Finding) resolution() string {
	if f.Resolution <= 0 {
		return ""
	}
	return fmt.Sprintf(", of which %.0f W for the readings' resolution", f.Resolution)
}

// PDUWatts returns a PDU's measured input power, false when unknown.
type PDUWatts func(id string) (float64, bool)

// Result is what Check found of one rack, and what it could judge.
type Result struct {
	Findings []Finding
	// Feeds are the feeds judged, by name, each with its first PDU: those
	// whose PDUs and PSUs are all known, when every server of the rack is.
	Feeds map[string]string
}

// Check cross-checks rack k: its servers (by ID; a server it lacks is
// unknown) against its PDUs' power, feed by feed, at tolerance t. Racks
// without servers, or with a server whose readings are unknown, yield no
// feed finding; NoDraw needs only the server's own readings.
func Check(k *inventory.Rack, pdus PDUWatts, servers map[string]Server, t Tolerance) Result {
	var res Result
	known := len(k.Servers) > 0
	for i := range k.Servers {
		s, ok := servers[k.Servers[i].ID]
		if !ok || !Known(s, len(k.Servers[i].PSUFeeds)) {
			known = false
			continue
		}
		res.Findings = append(res.Findings, noDraw(k.ID, s)...)
	}
	if !known {
		return res
	}
	feeds := judgeFeeds(k, pdus, servers, t)
	res.Feeds = map[string]string{}
	for _, f := range feeds {
		res.Feeds[f.name] = f.firstPDU
	}
	if m := miswired(k, feeds, servers, t); m != nil {
		res.Findings = append(res.Findings, m...)
		return res
	}
	for _, f := range feeds {
		if d := f.pdu - f.psu; d > f.limit || -d > f.limit {
			res.Findings = append(res.Findings, Finding{Kind: Unexplained, Rack: k.ID, Feed: f.name, PDU: f.firstPDU, Watts: d,
				PDUWatts: f.pdu, PSUWatts: f.psu, Limit: f.limit, Resolution: f.steps})
		}
	}
	return res
}

// Known says whether a server's readings can be judged: it is fresh and
// reports the input power of each of its n inventoried PSUs.
func Known(s Server, n int) bool {
	if !s.Fresh || len(s.PSUs) < n {
		return false
	}
	for _, p := range s.PSUs[:n] {
		if p.Watts == nil {
			return false
		}
	}
	return true
}

// noDraw finds the PSUs of s that draw nothing while s draws power.
func noDraw(rack string, s Server) []Finding {
	total := 0.0
	for _, p := range s.PSUs {
		total += *p.Watts
	}
	if s.Watts != nil {
		total = max(total, *s.Watts)
	}
	if total <= 0 || len(s.PSUs) < 2 {
		return nil // a server that is off, or has one PSU, loses no redundancy
	}
	var out []Finding
	for _, p := range s.PSUs {
		if *p.Watts <= 0 {
			out = append(out, Finding{Kind: NoDraw, Rack: rack, Feed: p.Feed, Server: s.ID, PSU: p.Index, Watts: total})
		}
	}
	return out
}

// feed is one feed's two sums, and the limit of their difference, of
// which steps allows for the readings' resolution.
type feed struct {
	name, firstPDU string
	pdu, psu       float64
	limit, steps   float64
}

// judgeFeeds sums each feed of k whose PDUs all have a reading; feeds
// with an unknown PDU are left out.
func judgeFeeds(k *inventory.Rack, pdus PDUWatts, servers map[string]Server, t Tolerance) []feed {
	var out []feed
	for _, name := range k.Feeds {
		f := feed{name: name}
		ok := false
		for _, p := range k.PDUs {
			if p.Feed != name {
				continue
			}
			w, known := pdus(p.ID)
			if !known {
				ok = false
				break
			}
			if f.firstPDU == "" {
				f.firstPDU = p.ID
			}
			f.pdu += w
			f.steps += t.PDUResolution / 2
			ok = true
		}
		if !ok {
			continue
		}
		for _, srv := range k.Servers {
			s := servers[srv.ID]
			for j, fd := range srv.PSUFeeds {
				if fd == name {
					f.psu += *s.PSUs[j].Watts
					f.steps += t.psuStep(s.PSUs[j]) / 2
				}
			}
		}
		f.limit = t.of(f.pdu) + f.steps
		out = append(out, f)
	}
	return out
}

// miswired explains a feed whose PDUs measure more than its PSUs, and
// another that measure less by as much, by PSUs inventoried on the short
// feed that draw from the long one: the fewest PSUs, largest first, whose
// draw makes up the difference within both feeds' tolerance. Nil when no
// such pair of feeds, or no such PSUs.
//
// The two feeds are judged as a pair, since a miswired PSU shows on both:
// each feed's sums may be off by its limit, so the excess and the deficit
// must be apart by no more than both limits (one move, seen from its two
// ends), and their mean, the power moved, beyond the larger limit (power
// that readings that fine can tell from none; explain needs no less).
// Either alone may then be within its own limit: a miswired 1U server
// moves little more than forty PSUs' rounding.
func miswired(k *inventory.Rack, feeds []feed, servers map[string]Server, t Tolerance) []Finding {
	for _, long := range feeds {
		for _, short := range feeds {
			excess, deficit := long.pdu-long.psu, short.psu-short.pdu
			limit, pair := max(long.limit, short.limit), long.limit+short.limit
			if long.name == short.name || excess+deficit <= 2*limit || math.Abs(excess-deficit) > pair {
				continue
			}
			if found := explain(k, short, (excess+deficit)/2, limit, t.Watts, servers); found != nil {
				steps := long.steps
				if short.limit > long.limit {
					steps = short.steps
				}
				for i := range found {
					found[i].Resolution = steps
				}
				return found
			}
		}
	}
	return nil
}

// candidate is a PSU inventoried on a feed.
type candidate struct {
	server string
	psu    int
	watts  float64
}

// explain picks PSUs on feed short summing to moved within limit, largest
// first (greedy), and names their servers, and those whose PSUs draw
// within alike watts of each.
func explain(k *inventory.Rack, short feed, moved, limit, alike float64, servers map[string]Server) []Finding {
	var cands []candidate
	for _, srv := range k.Servers {
		for j, fd := range srv.PSUFeeds {
			if w := *servers[srv.ID].PSUs[j].Watts; fd == short.name && w > 0 {
				cands = append(cands, candidate{srv.ID, j + 1, w})
			}
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.watts, a.watts), cmp.Compare(a.server, b.server))
	})
	var out []Finding
	left := moved
	for _, c := range cands {
		if left <= limit {
			break
		}
		if c.watts <= left+limit {
			out = append(out, Finding{Kind: Miswired, Rack: k.ID, Feed: short.name, Server: c.server, PSU: c.psu, Watts: c.watts,
				PDUWatts: short.pdu, PSUWatts: short.psu, Limit: limit})
			left -= c.watts
		}
	}
	if left > limit || -left > limit {
		return nil
	}
	for i := range out {
		for _, c := range cands {
			if c.server != out[i].Server && math.Abs(c.watts-out[i].Watts) <= alike && !named(out, c.server) {
				out[i].Alike = append(out[i].Alike, c.server)
			}
		}
	}
	return out
}

// named says whether a finding of fs names server.
func named(fs []Finding, server string) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Server == server })
}
