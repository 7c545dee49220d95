package controller

import (
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/whatif"
	"github.com/dcplane/dcplane/internal/inventory"
)

// feedMetrics exports each PDU's phases against their breaker and each
// rack's failover margin: what the feeds and phases dashboard shows.
type feedMetrics struct {
	phaseAmps, breaker, margin *prometheus.Desc
}

func newFeedMetrics() feedMetrics {
	phase := []string{"hall", "row", "rack", "pdu", "feed", "phase"}
	return feedMetrics{
		phaseAmps: prometheus.NewDesc("dcplane_pdu_phase_current_amperes",
			"Current a PDU's phase carries, as measured (phase 1 is L1). Absent while unknown: the PDU stale, or not every phase measured.", phase, nil),
		breaker: prometheus.NewDesc("dcplane_pdu_phase_breaker_amperes",
			"Rating of the breaker of a PDU's phase, from the inventory. Absent when the inventory has none.", phase, nil),
		margin: prometheus.NewDesc("dcplane_rack_failover_margin_watts",
			"Watts a rack may still add before, were feed (the label) to fail, some phase of a PDU left would carry more than 80 % of its breaker: "+
				"the least margin of those phases, each the derated breaker less its own load and its share of the lost PDUs' (in amps × the PDU's voltage where current is measured); "+
				"negative when already past. Absent while some PDU of the rack is unknown, and for a rack that feed alone supplies (it would go dark).",
			[]string{"hall", "row", "rack", "feed"}, nil),
	}
}

func (m feedMetrics) describe(ch chan<- *prometheus.Desc) {
	ch <- m.phaseAmps
	ch <- m.breaker
	ch <- m.margin
}

// collect exports the phases of every PDU of site, as devices knows them,
// and the failover margins on r's readings.
func (m feedMetrics) collect(ch chan<- prometheus.Metric, site *inventory.Site, devices map[string]alerts.Device, r whatif.Readings) {
	site.Racks(func(h *inventory.Hall, w *inventory.Row, k *inventory.Rack) bool {
		for i := range k.PDUs {
			p := &k.PDUs[i]
			d := devices[p.ID]
			for ph := range max(p.Phases, 1) {
				labels := []string{h.ID, w.ID, k.ID, p.ID, p.Feed, strconv.Itoa(ph + 1)}
				if p.BreakerA > 0 {
					gauge(ch, m.breaker, p.BreakerA, labels...)
				}
				if d.Fresh && len(d.PhaseAmps) == max(p.Phases, 1) && finite(d.PhaseAmps[ph]) {
					gauge(ch, m.phaseAmps, d.PhaseAmps[ph], labels...)
				}
			}
		}
		return true
	})
	for _, fm := range failoverMargins(site, r) {
		gauge(ch, m.margin, fm.watts, fm.hall, fm.row, fm.rack, fm.feed)
	}
}

// failoverMargin is a rack's margin were one feed to fail.
type failoverMargin struct {
	hall, row, rack, feed string
	watts                 float64
}

// failoverMargins is the margin of every rack fed from more than one feed,
// for each of its feeds failing, where every phase's load is known: the
// what-if of that feed switched off, on the measured basis.
func failoverMargins(site *inventory.Site, r whatif.Readings) []failoverMargin {
	var out []failoverMargin
	for _, feed := range siteFeeds(site) {
		rep, err := whatif.Input{Site: site, Readings: r}.FeedOff(feed, "")
		if err != nil {
			continue // not reached: the feed is one of the site's
		}
		out = append(out, rackMargins(rep, feed)...)
	}
	return out
}

// rackMargins is each rack's least phase margin in a feed-off report; a
// rack with a phase whose load is unknown has none.
func rackMargins(rep *whatif.Report, feed string) []failoverMargin {
	var out []failoverMargin
	at := map[string]int{} // rack → index in out
	for _, f := range rep.Findings {
		if f.Kind != whatif.KindPDUPhase || f.Basis != whatif.BasisMeasured {
			continue
		}
		i, seen := at[f.Rack]
		if !seen {
			i, at[f.Rack] = len(out), len(out)
			out = append(out, failoverMargin{f.Hall, f.Row, f.Rack, feed, math.Inf(1)})
		}
		w, ok := phaseMarginWatts(f)
		if !ok {
			w = math.NaN() // unknown: min keeps it so
		}
		out[i].watts = min(out[i].watts, w)
	}
	return slices.DeleteFunc(out, func(fm failoverMargin) bool { return math.IsNaN(fm.watts) })
}

// phaseMarginWatts is a phase finding's margin in watts: in amps × the
// PDU's voltage when its current is known (the breaker trips on current),
// else in watts. False when its load is unknown.
func phaseMarginWatts(f whatif.Finding) (float64, bool) {
	switch {
	case f.MarginAmps != nil && f.LimitAmps != nil && f.LimitWatts != nil && *f.LimitAmps > 0:
		// The limit in watts is the limit in amps × the PDU's voltage.
		return *f.MarginAmps * *f.LimitWatts / *f.LimitAmps, true
	case f.MarginWatts != nil:
		return *f.MarginWatts, true
	}
	return 0, false
}

// siteFeeds lists the feeds the site's PDUs are on, in the order met.
func siteFeeds(site *inventory.Site) []string {
	var out []string
	seen := map[string]bool{}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.PDUs {
			if f := k.PDUs[i].Feed; !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
		return true
	})
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
