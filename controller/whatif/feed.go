package whatif

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Input is the site as it stands: what a what-if is asked of.
type Input struct {
	Site *inventory.Site
	// Readings is the measured load of the PDUs; nil leaves the measured
	// basis out.
	Readings Readings
	// Declared is each rack's declared placed plus reserved power in
	// watts; a rack it does not list has none. Nil leaves the declared
	// basis out.
	Declared map[string]float64
}

// bases lists the bases in evaluates.
func (in Input) bases() []string {
	out := []string{}
	if in.Readings != nil {
		out = append(out, BasisMeasured)
	}
	if in.Declared != nil {
		out = append(out, BasisDeclared)
	}
	return out
}

// FeedOff says what would happen if feed were switched off now, in hall
// (every hall when ""): every phase of every PDU that would take over the
// load of a PDU on feed, against its derated breaker, and every rack that
// would go dark. Racks with no PDU on feed are not affected and not listed.
func (in Input) FeedOff(feed, hall string) (*Report, error) {
	if err := checkFeed(in.Site, feed); err != nil {
		return nil, err
	}
	halls, err := hallsOf(in.Site, hall)
	if err != nil {
		return nil, err
	}
	sum := fmt.Sprintf("feed %s switched off", feed)
	if hall != "" {
		sum += " in hall " + hall
	}
	rep := &Report{Scenario: Scenario{Kind: ScenarioFeedOff, Feed: feed, Hall: hall, Summary: sum, Bases: in.bases()}, Findings: []Finding{}}
	for _, h := range halls {
		for ri := range h.Rows {
			r := &h.Rows[ri]
			for ki := range r.Racks {
				rep.Findings = append(rep.Findings, in.rackFeedOff(h, r, &r.Racks[ki], feed)...)
			}
		}
	}
	return rep.finish(), nil
}

// checkFeed says whether any rack of the site is fed by feed.
func checkFeed(site *inventory.Site, feed string) error {
	var feeds []string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, f := range k.Feeds {
			if !slices.Contains(feeds, f) {
				feeds = append(feeds, f)
			}
		}
		for i := range k.PDUs {
			if f := k.PDUs[i].Feed; !slices.Contains(feeds, f) {
				feeds = append(feeds, f)
			}
		}
		return true
	})
	if slices.Contains(feeds, feed) {
		return nil
	}
	return &NotFoundError{What: "feed", ID: feed, Suggestions: nearest(feed, feeds)}
}

// rackFeedOff is what feed's loss does to one rack.
func (in Input) rackFeedOff(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, feed string) []Finding {
	var lost, kept []*inventory.PDU
	for i := range k.PDUs {
		if p := &k.PDUs[i]; p.Feed == feed {
			lost = append(lost, p)
		} else {
			kept = append(kept, p)
		}
	}
	switch {
	case len(lost) == 0:
		return nil
	case len(kept) == 0:
		return []Finding{in.dark(h, r, k, feed, lost)}
	}
	var out []Finding
	if in.Readings != nil {
		out = append(out, in.measuredFeedOff(h, r, k, feed, lost, kept)...)
	}
	if in.Declared != nil {
		out = append(out, declaredFeedOff(h, r, k, feed, in.Declared[k.ID], kept)...)
	}
	return out
}

// dark is the finding of a rack all of whose PDUs are on the lost feed. Its
// load is what it draws now (measured, else declared), its margin none.
func (in Input) dark(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, feed string, lost []*inventory.PDU) Finding {
	f := Finding{Kind: KindRack, Status: StatusDark, Hall: h.ID, Row: r.ID, Rack: k.ID}
	ids := make([]string, len(lost))
	for i, p := range lost {
		ids[i] = p.ID
	}
	var draw []string
	if in.Readings != nil {
		f.Basis = BasisMeasured
		w, unknown, notes := rackDraw(in.Readings, k)
		f.LoadWatts, f.Assumptions = w, notes
		if w != nil {
			draw = append(draw, "it draws "+kW(*w))
		} else {
			draw = append(draw, "its draw is unknown ("+strings.Join(unknown, "; ")+")")
		}
	}
	if in.Declared != nil {
		d := in.Declared[k.ID]
		if f.Basis == "" {
			f.Basis, f.LoadWatts = BasisDeclared, knownLoad(d)
		}
		draw = append(draw, kW(d)+" declared")
	}
	f.Detail = fmt.Sprintf("%s goes dark if feed %s fails: all its PDUs (%s) are on feed %s", k.ID, feed, strings.Join(ids, ", "), feed)
	if len(draw) > 0 {
		f.Detail += "; " + strings.Join(draw, ", ")
	}
	return f
}

// rackDraw is a rack's measured draw, the sum of its PDUs' totals, and the
// estimates it rests on. It is nil, with why, when any PDU's load is
// unknown or the rack has none.
func rackDraw(rd Readings, k *inventory.Rack) (w *float64, why, notes []string) {
	if len(k.PDUs) == 0 {
		return nil, []string{k.ID + " has no PDUs"}, nil
	}
	var sum float64
	for i := range k.PDUs {
		l := measure(rd, &k.PDUs[i])
		switch {
		case !l.known:
			why = append(why, noReading(k.PDUs[i].ID))
		case l.totalNote != "":
			notes = append(notes, l.totalNote)
		}
		sum += l.total
	}
	if len(why) > 0 {
		return nil, why, notes
	}
	return &sum, nil, notes
}

func noReading(pdu string) string { return "no fresh reading of " + pdu }

// share is the part of lost PDU li's load that kept PDU ki takes over. The
// model pairs PDUs as racks are usually cabled, each server's two cords
// on the same position of the A and B strips: when a rack has as many PDUs
// on the lost feed as on the others, the i-th lost PDU's load moves to the
// i-th kept PDU (inventory order); otherwise every kept PDU takes an equal
// share of every lost PDU.
func share(li, ki, lost, kept int) float64 {
	if lost == kept {
		if li == ki {
			return 1
		}
		return 0
	}
	return 1 / float64(kept)
}

// measuredFeedOff is, for each phase of each kept PDU, its own measured
// load plus what it takes over: the same phase of its paired lost PDU (or,
// if their phase counts differ, an even share of that PDU's total). A
// breaker trips on current: the phase is judged in amps, its own current
// plus the current it takes over against the derated breaker, when any of
// them is measured; a current not measured is estimated as W / V, which
// errs low when the power factor is below 1 or the voltage below nominal,
// and the finding says so.
func (in Input) measuredFeedOff(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, feed string, lost, kept []*inventory.PDU) []Finding {
	lostLoad := make([]load, len(lost))
	for i, p := range lost {
		lostLoad[i] = measure(in.Readings, p)
	}
	var out []Finding
	for ki, p := range kept {
		own := measure(in.Readings, p)
		sum := slices.Clone(own.phases)
		sumA, measuredA, note := own.phaseAmps(p)
		var stale, notes, anotes []string
		if !own.known {
			stale = append(stale, noReading(p.ID))
		} else {
			notes, anotes = appendNote(notes, own.note), appendNote(anotes, note)
		}
		for li, q := range lost {
			s := share(li, ki, len(lost), len(kept))
			switch l := lostLoad[li]; {
			case s == 0:
			case !l.known:
				stale = append(stale, noReading(q.ID))
			default:
				a, m, anote := l.phaseAmps(q)
				notes, anotes = appendNote(notes, l.note), appendNote(anotes, anote)
				notes = append(notes, takeOver(sum, l, s, q, p)...)
				if a == nil || sumA == nil {
					sumA = nil
				} else {
					addShare(sumA, a, total(a), s)
					measuredA = measuredA || m
				}
			}
		}
		for j := range phaseCount(p) {
			f := phaseFinding(h, r, k, p, j+1, BasisMeasured)
			var w *float64
			if len(stale) == 0 {
				w = ptr(sum[j])
			}
			f.judge(w, phaseLimit(p))
			f.Assumptions = notes
			if w != nil && sumA != nil {
				f.amps(sumA[j], phaseLimitAmps(p), measuredA)
				f.Assumptions = append(slices.Clone(notes), anotes...)
			}
			f.Detail = phaseDetail(&f, p, feed, "", stale)
			out = append(out, f)
		}
	}
	return out
}

// appendNote appends the notes that are not "" to notes.
func appendNote(notes []string, add ...string) []string {
	for _, n := range add {
		if n != "" {
			notes = append(notes, n)
		}
	}
	return notes
}

// phaseAmps is the current of each of p's phases, whose load l is known:
// as measured (measured true); else its load per phase over its voltage,
// with a note saying so. Nil when neither is known (a voltage of 0).
func (l load) phaseAmps(p *inventory.PDU) (a []float64, measured bool, note string) {
	if l.amps != nil {
		return slices.Clone(l.amps), true, ""
	}
	if l.phases == nil || p.VoltageV <= 0 {
		return nil, false, ""
	}
	a = make([]float64, len(l.phases))
	for i, w := range l.phases {
		a[i] = w / p.VoltageV
	}
	return a, false, fmt.Sprintf("%s reports no current per phase: A = W / %s V, which errs low when the power factor is below 1 or the voltage below nominal", p.ID, num(p.VoltageV))
}

// takeOver adds share s of lost PDU q's load l to kept PDU p's phases sum
// (nil when p's own load is unknown: then only the notes matter).
func takeOver(sum []float64, l load, s float64, q, p *inventory.PDU) []string {
	var notes []string
	if len(l.phases) != phaseCount(p) {
		notes = append(notes, fmt.Sprintf("%s has %d phases, %s %d: its load spread evenly over %s's phases", q.ID, len(l.phases), p.ID, phaseCount(p), p.ID))
	}
	if s != 1 {
		notes = append(notes, fmt.Sprintf("%s's load shared evenly by the PDUs left", q.ID))
	}
	if sum != nil {
		addShare(sum, l.phases, l.total, s)
	}
	return notes
}

// addShare adds share s of a lost PDU's phases to a kept PDU's sum: phase
// by phase when they have as many, else its total spread evenly.
func addShare(sum, phases []float64, total float64, s float64) {
	for j := range sum {
		if len(phases) == len(sum) {
			sum[j] += s * phases[j]
		} else {
			sum[j] += s * total / float64(len(sum))
		}
	}
}

func total(vs []float64) float64 {
	var t float64
	for _, v := range vs {
		t += v
	}
	return t
}

// declaredFeedOff is the rack's declared power split evenly over every
// phase of its kept PDUs.
func declaredFeedOff(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, feed string, declared float64, kept []*inventory.PDU) []Finding {
	var n int
	for _, p := range kept {
		n += phaseCount(p)
	}
	each := knownLoad(declared)
	if each != nil {
		*each /= float64(n)
	}
	split := fmt.Sprintf("%s declared over %d phases", kW(declared), n)
	var out []Finding
	for _, p := range kept {
		for j := range phaseCount(p) {
			f := phaseFinding(h, r, k, p, j+1, BasisDeclared)
			f.judge(each, phaseLimit(p))
			if each != nil && p.VoltageV > 0 {
				f.amps(*each/p.VoltageV, phaseLimitAmps(p), false)
			}
			var stale []string
			if each == nil {
				stale = []string{fmt.Sprintf("%s's declared power is not a load (%v)", k.ID, declared)}
			}
			f.Detail = phaseDetail(&f, p, feed, split, stale)
			out = append(out, f)
		}
	}
	return out
}

// knownLoad is v as a load, nil when it cannot be one (NaN, infinite or
// negative): such a value is unknown, not 0.
func knownLoad(v float64) *float64 {
	if !finite(v) {
		return nil
	}
	return &v
}

func phaseFinding(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, p *inventory.PDU, phase int, basis string) Finding {
	return Finding{Kind: KindPDUPhase, Basis: basis, Hall: h.ID, Row: r.ID, Rack: k.ID, PDU: p.ID, Phase: phase}
}

// phaseLimit is what one phase of p may carry continuously: its voltage
// (line to neutral) × its breaker × the derate factor.
func phaseLimit(p *inventory.PDU) float64 {
	return p.VoltageV * p.BreakerA * inventory.DerateFactor
}

// phaseLimitAmps is what one phase of p may carry continuously, in amps:
// its breaker × the derate factor.
func phaseLimitAmps(p *inventory.PDU) float64 { return p.BreakerA * inventory.DerateFactor }

// phaseDetail is a phase finding's line for people. split says how a
// declared load was spread; stale says why the load is unknown.
func phaseDetail(f *Finding, p *inventory.PDU, feed, split string, stale []string) string {
	at := fmt.Sprintf("%s %s phase L%d", f.Rack, p.ID, f.Phase)
	rating := fmt.Sprintf("(%s %% of %s A × %s V)", num(inventory.DerateFactor*100), num(p.BreakerA), num(p.VoltageV))
	if f.LoadWatts == nil {
		return fmt.Sprintf("%s: load unknown if feed %s fails: %s (not counted as 0)", at, feed, strings.Join(stale, "; "))
	}
	of := ""
	if f.Basis == BasisDeclared {
		of = " of declared power (" + split + ")"
	} else if f.LoadAmps != nil {
		// Measured, judged in amps as the breaker is, like the alert.
		rating := fmt.Sprintf("(%s %% of %s A)", num(inventory.DerateFactor*100), num(p.BreakerA))
		a, lim := pair(*f.LoadAmps, *f.LimitAmps, 3, " A")
		wl, wlim := kWPair(*f.LoadWatts, *f.LimitWatts)
		watts := fmt.Sprintf("%s of %s at %s V", wl, wlim, num(p.VoltageV))
		if f.Exceeded {
			return fmt.Sprintf("%s: would carry %s > %s %s if feed %s fails; %s", at, a, lim, rating, feed, watts)
		}
		return fmt.Sprintf("%s: would carry %s of %s %s if feed %s fails, %s A to spare; %s", at, a, lim, rating, feed, strconv.FormatFloat(*f.MarginAmps, 'f', 1, 64), watts)
	}
	load, limit := kWPair(*f.LoadWatts, *f.LimitWatts)
	if f.Exceeded {
		return fmt.Sprintf("%s: would carry %s%s > %s %s if feed %s fails", at, load, of, limit, rating, feed)
	}
	return fmt.Sprintf("%s: would carry %s%s of %s %s if feed %s fails, %s to spare", at, load, of, limit, rating, feed, kW(*f.MarginWatts))
}
