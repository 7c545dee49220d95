package alerts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// condition is one rule's judgement of one object at one time: whether the
// alert's condition holds (fire), whether its value is past the clear
// level (clear), or that the readings it needs are unknown (!known).
type condition struct {
	rule    Rule
	obj     Object
	known   bool
	fire    bool
	clear   bool
	value   float64
	limit   float64
	unit    string
	after   time.Duration // how long fire must hold before the alert fires; 0 fires at once
	summary string
}

// judge runs the rules over one Input.
type judge struct {
	cfg  *Config
	in   *Input
	now  time.Time
	band float64 // cfg.Hysteresis
	out  []condition

	// strays is what crosscheck.Elsewhere found of the site, and explained
	// each rack (by ID) whose PDUs' disagreement with its servers one of
	// its findings explains: the stray server's own rack and the rack it
	// draws from (see explainedBy).
	strays    crosscheck.Strays
	explained map[string]crosscheck.Finding
}

// atOrAbove judges a value that alerts at or above limit and clears below
// limit × (1 − band).
func (j *judge) atOrAbove(c condition) {
	c.known, c.fire, c.clear = true, c.value >= c.limit, c.value < c.limit*(1-j.band)
	j.out = append(j.out, c)
}

// above judges a value that alerts strictly above limit and clears at or
// below limit × (1 − band).
func (j *judge) above(c condition) {
	c.known, c.fire, c.clear = true, c.value > c.limit, c.value <= c.limit*(1-j.band)
	j.out = append(j.out, c)
}

// unknown records that an object's readings are unknown: its alert, if
// any, is held.
func (j *judge) unknown(r Rule, o Object) {
	j.out = append(j.out, condition{rule: r, obj: o})
}

// run judges every rule on every object of the site.
func (j *judge) run() []condition {
	if j.in.Site == nil {
		j.in.Site = &inventory.Site{} // before the first inventory: agents only
	}
	site := j.in.Site
	j.strays = crosscheck.Elsewhere(site, j.in.pduWatts, j.in.Servers, j.cfg.CrossCheck.Tolerance())
	j.explained = explainedBy(j.strays)
	forecasts := map[[2]string]Forecast{}
	for _, f := range j.in.Forecasts {
		forecasts[[2]string{string(f.Kind), f.ID}] = f
	}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		ho := Object{Kind: KindHall, Site: site.Name, Hall: h.ID}
		var hallBudget float64
		for ri := range h.Rows {
			r := &h.Rows[ri]
			ro := Object{Kind: KindRow, Site: site.Name, Hall: h.ID, Row: r.ID}
			for ki := range r.Racks {
				k := &r.Racks[ki]
				ko := Object{Kind: KindRack, Site: site.Name, Hall: h.ID, Row: r.ID, Rack: k.ID}
				hallBudget += j.in.rackBudget(k)
				j.rackPower(ko, k)
				j.redundancy(ko, k)
				for pi := range k.PDUs {
					j.phases(ko, &k.PDUs[pi])
					j.stale(ko, KindPDU, k.PDUs[pi].ID)
				}
				j.rackInlet(ko, k)
				j.declared(ko, k)
				j.crossCheck(ko, k)
				j.forecast(ko, k.ID, forecasts)
			}
			j.cooling(ro, r)
			for ui := range r.Cooling {
				j.unitInlet(ro, &r.Cooling[ui])
				j.stale(ro, KindUnit, r.Cooling[ui].ID)
			}
			j.forecast(ro, r.ID, forecasts)
		}
		j.forecast(ho, h.ID, forecasts)
	}
	j.elsewhere()
	j.agents()
	return j.out
}

// rackPower judges a rack's draw against its budget: warning and critical
// shares sustained, over budget at once.
func (j *judge) rackPower(o Object, k *inventory.Rack) {
	budget := j.in.rackBudget(k)
	if budget <= 0 {
		return
	}
	draw, ok := j.in.rackDraw(k)
	levels := []struct {
		rule  Rule
		share float64
		after time.Duration
	}{
		{RackPowerWarning, j.cfg.Rack.Warning, time.Duration(j.cfg.Rack.For)},
		{RackPowerCritical, j.cfg.Rack.Critical, time.Duration(j.cfg.Rack.For)},
	}
	for _, l := range levels {
		if !ok {
			j.unknown(l.rule, o)
			continue
		}
		limit := l.share * budget
		j.atOrAbove(condition{rule: l.rule, obj: o, value: draw, limit: limit, unit: "W", after: l.after,
			summary: fmt.Sprintf("rack %s draws %s, limit %s (%s of its %s budget)", k.ID, kW(draw), kW(limit), pct(l.share), kW(budget))})
	}
	if !ok {
		j.unknown(RackOverBudget, o)
		return
	}
	j.above(condition{rule: RackOverBudget, obj: o, value: draw, limit: budget, unit: "W",
		summary: fmt.Sprintf("rack %s draws %s, over its %s budget by %s", k.ID, kW(draw), kW(budget), kW(draw-budget))})
}

// redundancy judges, for each feed of a rack fed from two or more, whether
// the PDUs left could carry the rack were that feed lost: each phase of
// each PDU left, with its share of the lost PDUs' current added, against
// FailoverDerate of its breaker. It alerts at once.
//
// The lost current moves as racks are cabled, each server's cords on the
// same position of the A and B strips: with as many PDUs on the lost feed
// as left, the i-th lost PDU's phase j moves to the i-th PDU left's phase
// j; otherwise each PDU left takes an equal share of every lost PDU. A lost
// PDU with another number of phases than the PDU taking it over has its
// total spread evenly over that PDU's phases.
func (j *judge) redundancy(o Object, k *inventory.Rack) {
	var feeds []string
	for i := range k.PDUs {
		if f := k.PDUs[i].Feed; !slices.Contains(feeds, f) {
			feeds = append(feeds, f)
		}
	}
	if len(feeds) < 2 {
		return
	}
	amps := make([][]float64, len(k.PDUs))
	known := true
	for i := range k.PDUs {
		var ok bool
		if amps[i], ok = j.in.phaseAmps(&k.PDUs[i]); !ok {
			known = false
		}
	}
	for _, f := range feeds {
		var lost, kept []int
		for i := range k.PDUs {
			if k.PDUs[i].Feed == f {
				lost = append(lost, i)
			} else {
				kept = append(kept, i)
			}
		}
		for ki, s := range kept {
			p := &k.PDUs[s]
			for ph := range max(p.Phases, 1) {
				po := o
				po.Kind, po.Feed, po.PDU, po.Phase = KindFeed, f, p.ID, ph+1
				if !known {
					j.unknown(RedundancyLost, po)
					continue
				}
				load := amps[s][ph]
				for li, l := range lost {
					load += share(li, ki, len(lost), len(kept)) * phaseOf(amps[l], ph, len(amps[s]))
				}
				limit := j.cfg.Rack.FailoverDerate * p.BreakerA
				j.above(condition{rule: RedundancyLost, obj: po, value: load, limit: limit, unit: "A",
					summary: fmt.Sprintf("if feed %s fails, %s L%d would carry %s > %s (%s of its %s breaker): rack %s no longer fits on one feed",
						f, p.ID, ph+1, amp(load), amp(limit), pct(j.cfg.Rack.FailoverDerate), amp(p.BreakerA), k.ID)})
			}
		}
	}
}

// share is the part of lost PDU li's current that kept PDU ki takes over.
func share(li, ki, lost, kept int) float64 {
	if lost == kept {
		if li == ki {
			return 1
		}
		return 0
	}
	return 1 / float64(kept)
}

// phaseOf is the current a lost PDU's phase ph moves onto a PDU of n
// phases: its phase ph when they have as many, else its total spread over
// the n.
func phaseOf(lost []float64, ph, n int) float64 {
	if len(lost) == n {
		return lost[ph]
	}
	var sum float64
	for _, a := range lost {
		sum += a
	}
	return sum / float64(n)
}

// phases judges each phase's current against the PDU's breaker, and the
// balance of its phases.
func (j *judge) phases(rack Object, p *inventory.PDU) {
	n := max(p.Phases, 1)
	amps, ok := j.in.phaseAmps(p)
	for ph := range n {
		o := rack
		o.Kind, o.PDU, o.Feed, o.Phase = KindPhase, p.ID, p.Feed, ph+1
		if !ok {
			j.unknown(PhaseCurrentHigh, o)
			continue
		}
		limit := j.cfg.Phase.Current * p.BreakerA
		j.atOrAbove(condition{rule: PhaseCurrentHigh, obj: o, value: amps[ph], limit: limit, unit: "A", after: time.Duration(j.cfg.Phase.For),
			summary: fmt.Sprintf("%s L%d carries %s, limit %s (%s of its %s breaker)", p.ID, ph+1, amp(amps[ph]), amp(limit), pct(j.cfg.Phase.Current), amp(p.BreakerA))})
	}
	if n < 2 {
		return
	}
	o := rack
	o.Kind, o.PDU, o.Feed = KindPDU, p.ID, p.Feed
	if !ok {
		j.unknown(PhaseImbalance, o)
		return
	}
	j.imbalance(o, p, amps)
}

// imbalance judges how unequally a PDU's phases are loaded: the largest
// deviation from their mean, as a share of it. Below ImbalanceMinLoad of
// the breaker the PDU is not judged, and its alert may clear.
func (j *judge) imbalance(o Object, p *inventory.PDU, amps []float64) {
	var mean, dev float64
	for _, a := range amps {
		mean += a / float64(len(amps))
	}
	for _, a := range amps {
		dev = max(dev, abs(a-mean))
	}
	c := condition{rule: PhaseImbalance, obj: o, known: true, limit: j.cfg.Phase.Imbalance, unit: "ratio", after: time.Duration(j.cfg.Phase.ImbalanceFor)}
	if mean < j.cfg.Phase.ImbalanceMinLoad*p.BreakerA || mean == 0 {
		c.clear = true
		c.summary = fmt.Sprintf("%s phases at a mean of %s, under %s of its breaker: imbalance not judged", p.ID, amp(mean), pct(j.cfg.Phase.ImbalanceMinLoad))
		j.out = append(j.out, c)
		return
	}
	c.value = dev / mean
	parts := make([]string, len(amps))
	for i, a := range amps {
		parts[i] = fmt.Sprintf("L%d %s", i+1, amp(a))
	}
	c.summary = fmt.Sprintf("%s phases unbalanced (%s): %s off their mean of %s, limit %s",
		p.ID, strings.Join(parts, ", "), pct(c.value), amp(mean), pct(c.limit))
	j.atOrAbove(c)
}

// cooling judges a row's IT load, the sum of its racks' draw, against its
// cooling without its largest unit (N+1).
func (j *judge) cooling(o Object, r *inventory.Row) {
	if len(r.Cooling) == 0 {
		return
	}
	var total, largest float64
	unit := ""
	for i := range r.Cooling {
		c := r.Cooling[i].CapacityWatts()
		total += c
		if c > largest {
			largest, unit = c, r.Cooling[i].ID
		}
	}
	var load float64
	for ki := range r.Racks {
		w, ok := j.in.rackDraw(&r.Racks[ki])
		if !ok {
			j.unknown(CoolingNPlus1Lost, o)
			return
		}
		load += w
	}
	limit := total - largest
	j.above(condition{rule: CoolingNPlus1Lost, obj: o, value: load, limit: limit, unit: "W", after: time.Duration(j.cfg.Cooling.For),
		summary: fmt.Sprintf("row %s IT load %s > %s, its cooling of %s without its largest unit %s: one more unit failure and the row overheats",
			r.ID, kW(load), kW(limit), kW(total), unit)})
}

// rackInlet judges the hottest inlet sensor of a rack's PDUs. A rack none
// of whose PDUs has a sensor is not judged; one with a stale PDU is held.
func (j *judge) rackInlet(o Object, k *inventory.Rack) {
	var temps []float64
	stale := false
	for i := range k.PDUs {
		d, ok := j.in.device(k.PDUs[i].ID)
		if !ok {
			stale = true
			continue
		}
		temps = append(temps, d.InletCelsius...)
	}
	j.inlet(o, "rack "+k.ID, temps, stale)
}

// unitInlet judges the hottest rack inlet sensor of a cooling unit.
func (j *judge) unitInlet(row Object, u *inventory.CoolingUnit) {
	o := row
	o.Kind, o.Unit = KindUnit, u.ID
	d, ok := j.in.device(u.ID)
	j.inlet(o, "cooling unit "+u.ID+"'s rack sensors", d.InletCelsius, !ok)
}

func (j *judge) inlet(o Object, what string, temps []float64, stale bool) {
	switch {
	case stale:
		j.unknown(InletTemperatureHigh, o)
		return
	case len(temps) == 0:
		return
	}
	hot := temps[0]
	for _, t := range temps[1:] {
		hot = max(hot, t)
	}
	c := condition{rule: InletTemperatureHigh, obj: o, known: true, value: hot, limit: j.cfg.Inlet.LimitCelsius, unit: "°C",
		after:   time.Duration(j.cfg.Inlet.For),
		summary: fmt.Sprintf("%s: inlet %.1f °C, limit %.1f °C (ASHRAE recommended)", what, hot, j.cfg.Inlet.LimitCelsius)}
	c.fire, c.clear = hot > c.limit, hot <= c.limit-j.cfg.Inlet.BandCelsius
	j.out = append(j.out, c)
}

// forecast judges a rack's, row's or hall's capacity forecast: within
// Days alerts, beyond Days × (1 + band) clears.
func (j *judge) forecast(o Object, id string, forecasts map[[2]string]Forecast) {
	if j.cfg.Forecast.Days <= 0 {
		return
	}
	f, ok := forecasts[[2]string{string(o.Kind), id}]
	if !ok || !f.Known {
		j.unknown(CapacityForecast, o)
		return
	}
	limit := j.cfg.Forecast.Days
	c := condition{rule: CapacityForecast, obj: o, known: true, value: f.Days, limit: limit, unit: "days", after: time.Duration(j.cfg.Forecast.For),
		fire: f.Days <= limit, clear: f.Days > limit*(1+j.band)}
	if finite(f.Days) {
		c.summary = fmt.Sprintf("%s reaches its budget in %.1f days at its trend, within the %.0f days watched", o, f.Days, limit)
	} else {
		c.summary = fmt.Sprintf("%s does not reach its budget within the forecast's horizon", o)
	}
	j.out = append(j.out, c)
}

// stale judges whether a device has fresh readings: a PDU also needs its
// input power, which every power rule reads.
func (j *judge) stale(parent Object, kind Kind, id string) {
	o := parent
	o.Kind = kind
	if kind == KindPDU {
		o.PDU = id
	} else {
		o.Unit = id
	}
	d, seen := j.in.Devices[id]
	name := o.String()
	var why string
	switch {
	case !seen:
		why = "never read since this controller became leader"
	case !d.Fresh:
		why = "stale: " + d.Reason
	case kind == KindPDU && (d.Watts == nil || !finite(*d.Watts)):
		why = "fresh but reports no input power"
	}
	from := d.LastOK
	if from.IsZero() {
		from = j.in.Since
	}
	c := condition{rule: TelemetryStale, obj: o, known: true, fire: why != "", clear: why == "",
		value: j.now.Sub(from).Seconds(), limit: time.Duration(j.cfg.Telemetry.StaleFor).Seconds(), unit: "s",
		after: time.Duration(j.cfg.Telemetry.StaleFor)}
	if from.IsZero() {
		c.value = 0
	}
	c.summary = fmt.Sprintf("%s: no usable readings (%s); its power alerts are held", name, why)
	if !d.LastOK.IsZero() {
		c.summary = fmt.Sprintf("%s: no usable readings since %s (%s); its power alerts are held", name, d.LastOK.UTC().Format(time.RFC3339), why)
	}
	j.out = append(j.out, c)
}

// agents judges how long ago each agent was last heard from, counted from
// Input.Since at the earliest. It alerts at once: AgentDownAfter is the
// wait.
func (j *judge) agents() {
	limit := time.Duration(j.cfg.Telemetry.AgentDownAfter)
	for id, seen := range j.in.Agents {
		if seen.Before(j.in.Since) {
			seen = j.in.Since
		}
		age := j.now.Sub(seen)
		o := Object{Kind: KindAgent, Site: j.in.Site.Name, Agent: id}
		j.out = append(j.out, condition{rule: AgentDown, obj: o, known: true, fire: age > limit, clear: age <= limit,
			value: age.Seconds(), limit: limit.Seconds(), unit: "s",
			summary: fmt.Sprintf("agent %s not heard from for %s (limit %s)", id, age.Round(time.Second), limit)})
	}
}

// declared judges a rack's measured draw against its declared power.
func (j *judge) declared(o Object, k *inventory.Rack) {
	d, ok := j.in.Declared[k.ID]
	if !ok || !(d.Watts > 0) {
		return
	}
	draw, known := j.in.rackDraw(k)
	if !known {
		j.unknown(DeclaredPowerExceeded, o)
		return
	}
	limit := max(d.Watts*(1+j.cfg.Placement.Excess), d.Watts+j.cfg.Placement.ExcessWatts)
	s := fmt.Sprintf("rack %s draws %s, its placements declare %s (limit %s)", k.ID, kW(draw), kW(d.Watts), kW(limit))
	if len(d.Placements) > 0 {
		s += ": " + strings.Join(d.Placements, ", ")
	}
	j.atOrAbove(condition{rule: DeclaredPowerExceeded, obj: o, value: draw, limit: limit, unit: "W",
		after: time.Duration(j.cfg.Placement.For), summary: s})
}

func kW(w float64) string  { return fmt.Sprintf("%.1f kW", w/1000) }
func amp(a float64) string { return fmt.Sprintf("%.1f A", a) }
func pct(r float64) string { return fmt.Sprintf("%.0f %%", r*100) }

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
