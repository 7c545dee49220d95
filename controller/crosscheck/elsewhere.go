package crosscheck

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Strays is what Elsewhere found of a site.
type Strays struct {
	// Findings are the servers found drawing from another rack (Kind
	// DrawsElsewhere), one for each rack whose PDUs miss a server's draw.
	Findings []Finding
	// Judged are the racks, by ID, whose PDUs and servers all have fresh
	// readings: only those are compared.
	Judged map[string]bool
	// Unplaced are the servers whose draw is missing from their rack's
	// PDUs, as Elsewhere would name them, but that no judged rack's PDUs
	// show: the rack they draw from may be one not judged.
	Unplaced map[string]bool
	// Complete says that every rack with PDUs was judged: an unplaced
	// server then draws from no rack whose sums show it (its draw may be
	// split between racks, or hidden by another fault there).
	Complete bool
}

// Elsewhere finds servers that draw from a rack they are not inventoried
// in: their cords run to another rack's PDUs, or they stand in another
// rack and the inventory is wrong. The sums are all there is to go by (the
// inventory maps no server to a PDU outlet), and they show it as two
// racks that disagree with their servers in opposite directions by the
// same amount:
//
//   - rack Y, judged, has feeds whose PDUs measure
//     less than its servers' PSUs say (short beyond their tolerance), and a
//     server S of Y whose PSUs on exactly those feeds draw what is missing:
//     each feed of Y, with S's PSUs on its short feeds taken out, agrees
//     with its PDUs within its tolerance;
//   - rack X, another judged rack (with servers or none), whose PDUs measure more than its servers explain by what
//     those PSUs of S draw: each of S's missing PSUs plugged into some feed
//     of X, every feed of X then agrees within its tolerance.
//
// The finding names S, Y, X and the numbers. What the sums cannot tell,
// it says rather than guesses: servers of Y whose missing PSUs draw
// alike (within the tolerance) fit as well as S, and are listed in
// Alike (S is the first of them in inventory order, so the name is
// stable from one evaluation to the next, but it may be any of them);
// other racks that fit as well as X are listed in Also (X is the first in
// the site's order). Other limits, each leaving the disagreement to
// FeedPowerUnexplained:
//
//   - a server whose draw is within the tolerance is not seen: at 50 W +
//     3 % (the production default) a feed of 7 kW allows 260 W, so a
//     server must draw more than that on each feed it takes away, which
//     1U servers do not (a site that wants them seen sets a tighter
//     tolerance, as the demo does);
//   - what its PDUs measure cannot say whether the cords run to X or the
//     server stands in X: the finding says where the power is drawn;
//   - a rack without servers is judged on its PDUs alone: whatever else
//     draws there (a switch) counts against the fit, so such a rack
//     receives a server only while the rest of its draw is within the
//     tolerance;
//   - one server per rack: two servers of Y drawing elsewhere, or one
//     drawing from two other racks, fit no single server and rack;
//   - each short rack is matched on its own: two of them may name the same
//     rack X, though its excess could carry only one of their servers;
//   - a rack with a server that has no fresh BMC reading, or a PDU without
//     a fresh one, is not judged, as Y or as X.
//
// A server found missing from Y whose draw no judged rack shows is in
// Strays.Unplaced: unknown while some rack is not judged.
func Elsewhere(site *inventory.Site, pdus PDUWatts, servers map[string]Server, t Tolerance) Strays {
	out := Strays{Judged: map[string]bool{}, Unplaced: map[string]bool{}, Complete: true}
	var racks []balance
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if b, ok := balanceOf(k, pdus, servers, t); ok {
			out.Judged[k.ID] = true
			racks = append(racks, b)
		} else if len(k.PDUs) > 0 {
			out.Complete = false
		}
		return true
	})
	for i := range racks {
		cands := racks[i].leavers(servers)
		if len(cands) == 0 {
			continue
		}
		if f, ok := place(&racks[i], cands, racks); ok {
			out.Findings = append(out.Findings, f)
			continue
		}
		for _, c := range cands {
			out.Unplaced[c.server] = true
		}
	}
	return out
}

// balance is a judged rack's feeds, with their sums.
type balance struct {
	k     *inventory.Rack
	feeds []feed // every feed of the rack
}

// balanceOf sums each feed of k: false when a feed, or a server of k, is
// unknown. A rack without servers is judged on its PDUs alone.
//
// A rack that Check finds miswired within is judged too: its
// disagreement cannot make it give or receive a server, since giving
// leaves its long feed long and receiving its short feed short.
func balanceOf(k *inventory.Rack, pdus PDUWatts, servers map[string]Server, t Tolerance) (balance, bool) {
	for i := range k.Servers {
		if s, ok := servers[k.Servers[i].ID]; !ok || !Known(s, len(k.Servers[i].PSUFeeds)) {
			return balance{}, false
		}
	}
	feeds := judgeFeeds(k, pdus, servers, t)
	if len(k.Feeds) == 0 || len(feeds) < len(k.Feeds) {
		return balance{}, false
	}
	return balance{k: k, feeds: feeds}, true
}

// leaver is a server of a short rack whose PSUs on its short feeds draw
// what is missing there.
type leaver struct {
	server string
	psus   []int     // 1-based
	watts  []float64 // of each of psus
}

// total is what the leaver's missing PSUs draw.
func (l leaver) total() float64 {
	sum := 0.0
	for _, w := range l.watts {
		sum += w
	}
	return sum
}

// leavers are the servers of b, in inventory order, whose PSUs on b's
// short feeds draw what b's PDUs miss: each feed of b agrees with its
// PDUs within its tolerance once those PSUs are taken out. None when no
// feed of b is short.
func (b *balance) leavers(servers map[string]Server) []leaver {
	short := map[string]bool{}
	for _, f := range b.feeds {
		if f.psu-f.pdu > f.limit {
			short[f.name] = true
		}
	}
	if len(short) == 0 {
		return nil
	}
	var out []leaver
	for _, s := range b.k.Servers {
		l := leaver{server: s.ID}
		moved := map[string]float64{}
		for j, fd := range s.PSUFeeds {
			if w := *servers[s.ID].PSUs[j].Watts; short[fd] && w > 0 {
				l.psus, l.watts = append(l.psus, j+1), append(l.watts, w)
				moved[fd] += w
			}
		}
		if len(l.psus) > 0 && b.agrees(moved, nil) {
			out = append(out, l)
		}
	}
	return out
}

// agrees says whether every feed of b agrees with its PDUs within its
// tolerance once out is taken from its PSUs' sum and in added to it.
func (b *balance) agrees(out, in map[string]float64) bool {
	for _, f := range b.feeds {
		if math.Abs(f.pdu-(f.psu-out[f.name]+in[f.name])) > f.limit {
			return false
		}
	}
	return true
}

// receives says whether l's missing PSUs, each plugged into some feed of
// b that measures more than b's servers explain beyond its tolerance
// (a long feed, as the short rack's are short), make b's every feed agree
// with its PDUs. A rack already within its tolerance receives nothing:
// with PSUs of about the tolerance, any such rack would "agree" after
// taking one, and be named on no evidence.
func (b *balance) receives(l leaver) bool {
	if len(b.feeds) == 0 || len(l.watts) > maxMovedPSUs {
		return false
	}
	var long []feed
	for _, f := range b.feeds {
		if f.pdu-f.psu > f.limit {
			long = append(long, f)
		}
	}
	if len(long) == 0 {
		return false
	}
	in := map[string]float64{}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(l.watts) {
			return b.agrees(nil, in)
		}
		for _, f := range long {
			in[f.name] += l.watts[i]
			ok := try(i + 1)
			in[f.name] -= l.watts[i]
			if ok {
				return true
			}
		}
		return false
	}
	return try(0)
}

// maxMovedPSUs bounds the PSUs of one server that receives tries to plug
// into another rack's feeds (feeds^PSUs ways): servers have two or four.
const maxMovedPSUs = 8

// place finds, for the first of cands (servers missing from y) that some
// other rack of racks receives, that rack: the finding names them, with
// the other racks that receive it and the other candidates that they
// receive too. False when no rack receives any of them.
func place(y *balance, cands []leaver, racks []balance) (Finding, bool) {
	for _, c := range cands {
		var to []*balance
		for i := range racks {
			if x := &racks[i]; x.k.ID != y.k.ID && x.receives(c) {
				to = append(to, x)
			}
		}
		if len(to) == 0 {
			continue
		}
		f := Finding{Kind: DrawsElsewhere, Rack: y.k.ID, Server: c.server, PSUs: c.psus, Watts: c.total(),
			From: to[0].k.ID, Missing: -y.excess(), Extra: to[0].excess(), Limit: max(y.limit(), to[0].limit())}
		if len(c.psus) == 1 {
			f.PSU = c.psus[0]
		}
		for _, x := range to[1:] {
			f.Also = append(f.Also, x.k.ID)
		}
		for _, o := range cands {
			if o.server != c.server && to[0].receives(o) {
				f.Alike = append(f.Alike, o.server)
			}
		}
		return f, true
	}
	return Finding{}, false
}

// excess is what b's PDUs measure beyond its servers' PSUs, over its
// feeds (negative: less).
func (b *balance) excess() float64 {
	sum := 0.0
	for _, f := range b.feeds {
		sum += f.pdu - f.psu
	}
	return sum
}

// limit is the largest tolerance of b's feeds.
func (b *balance) limit() float64 {
	l := 0.0
	for _, f := range b.feeds {
		l = max(l, f.limit)
	}
	return l
}

// elsewhere says an Elsewhere finding for people.
func (f Finding) elsewhere() string {
	psus := make([]string, len(f.PSUs))
	for i, p := range f.PSUs {
		psus[i] = strconv.Itoa(p)
	}
	which := "PSU " + psus[0] + " draws"
	if len(psus) > 1 {
		which = "PSUs " + strings.Join(psus, ", ") + " draw"
	}
	s := fmt.Sprintf("server %s, inventoried in rack %s, appears to draw from rack %s: its %s %.0f W; rack %s's PDUs measure %.0f W less than its servers' PSUs say, rack %s's %.0f W more than its own explain (tolerance %.0f W a feed)",
		f.Server, f.Rack, f.From, which, f.Watts, f.Rack, f.Missing, f.From, f.Extra, f.Limit)
	if len(f.Alike) > 0 {
		s += fmt.Sprintf("; or %s of rack %s, which draw alike: the sums cannot tell them apart", few(f.Alike), f.Rack)
	}
	if len(f.Also) > 0 {
		s += fmt.Sprintf("; or from rack %s, whose PDUs show it as well", strings.Join(f.Also, ", "))
	}
	return s
}

// shownAlike is how many alike servers a finding's text names: a rack of
// one model may have forty, all listed in Finding.Alike.
const shownAlike = 5

// few lists ids, the first shownAlike of them and how many more.
func few(ids []string) string {
	if len(ids) <= shownAlike {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:shownAlike], ", "), len(ids)-shownAlike)
}
