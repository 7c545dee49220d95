package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// pdus is every PDU's draw, one series each.
func pdus(sel string) string { return leader(byPDU, "dcplane_pdu_power_watts", sel) }

// feedDraw is each rack's draw on each of its feeds.
func feedDraw(sel string) string { return fmt.Sprintf("sum by (%s, feed) (%s)", byRack, pdus(sel)) }

// feedImbalance is the difference between a rack's most and least loaded
// feeds as a percentage of its draw: 0 is an even A/B split, 100 all on
// one feed. A rack whose draw is unknown has none (its total is absent),
// and the other racks keep theirs.
func feedImbalance(sel string) string {
	return fmt.Sprintf("100 * (max by (%[1]s) (%[2]s) - min by (%[1]s) (%[2]s)) / %[3]s",
		byRack, feedDraw(sel), leader(byRack, "dcplane_rack_power_watts", sel))
}

// byPhase is the label set of a PDU's phase.
const byPhase = byPDU + ", phase"

// phaseShare is each PDU phase's current as a percentage of its breaker.
// A stale PDU's phases drop out; the others stay.
func phaseShare(sel string) string {
	return fmt.Sprintf("100 * %s / %s", leader(byPhase, "dcplane_pdu_phase_current_amperes", sel),
		leader(byPhase, "dcplane_pdu_phase_breaker_amperes", sel))
}

// feedsAndPhases shows how the draw splits across the A and B feeds, each
// phase against its breaker, and how far each rack is from no longer
// fitting on one feed.
func feedsAndPhases() *dashboard.DashboardBuilder {
	b := newBoard("dcplane-feeds", "dcplane: feeds and phases",
		"A/B feed balance, phase current against the breakers, and the failover margin: how far each rack is from no longer fitting on one feed.")
	section(b, "Feeds", feedPanels()...)
	section(b, "Phases", phasePanels()...)
	return section(b, "Racks", rackFeedPanels()...)
}

// feedPanels are each hall's draw by feed and the feed alerts.
func feedPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Draw by feed, by hall",
			"The measured PDUs' draw on each feed of each hall; a stale PDU drops out of its sum, which stays.", "watt", 16, 9).
			WithTarget(query(fmt.Sprintf("sum by (hall, feed) (%s)", pdus(inRow)), "{{hall}} feed {{feed}}")).Min(0),
		statPanel("Feed and phase alerts firing",
			joinLines("A/B redundancy lost (a rack draws more than one feed can carry alone: 80 % of the surviving PDU's breaker, per phase),",
				"phase current at 80 % of the breaker, phase imbalance: the controller evaluates these on every PDU's phases."), "none", 8, 9).
			WithTarget(instant(firing("RedundancyLost|PhaseCurrentHigh|PhaseImbalance"), "{{alertname}}")).
			Thresholds(steps(green, at(1, red))).TextMode(common.BigValueTextModeValueAndName).
			Orientation(common.VizOrientationHorizontal),
	}
}

// phasePanels are each PDU phase's current against its breaker.
func phasePanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		history("Phase current, % of breaker",
			joinLines("Each PDU phase's measured current as a share of its breaker's rating: PhaseCurrentHigh alerts from 80 %.",
				"A stale PDU's phases are absent, not 0."), "percent", 16, 12).
			WithTarget(query(phaseShare(inRow), "{{pdu}} L{{phase}}")).
			Thresholds(steps(green, at(60, yellow), at(80, orange), at(100, red))).Min(0).Max(100),
		tablePanel("Phase current and breakers now",
			"Each PDU phase's current now (Value #A) beside its breaker's rating (Value #B), in amps; a stale PDU's current is absent.", 8, 12).
			WithTarget(tableQuery(leader(byPhase, "dcplane_pdu_phase_current_amperes", inRow))).
			WithTarget(tableQuery(leader(byPhase, "dcplane_pdu_phase_breaker_amperes", inRow))).Unit("amp").
			WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}),
	}
}

// rackFeedPanels are each rack's failover margin and A/B balance.
func rackFeedPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Failover margin, by rack and feed",
			joinLines("Watts each rack may still add before, were the feed named to fail, a phase of a PDU left would pass 80 % of its breaker:",
				"its own load plus its share of the lost PDUs', in amps × the PDU's voltage where current is measured.",
				"Below 0 the rack no longer fits on one feed (RedundancyLost fires at once). A rack with a stale PDU has no margin, not 0."), "watt", 16, 12).
			WithTarget(query(leader(byRack+", feed", "dcplane_rack_failover_margin_watts", inRow), "{{rack}} if {{feed}} fails")).
			Thresholds(steps(red, at(0, orange), at(1000, green))),
		tablePanel("Least failover margin, by rack",
			"Each rack's smallest margin of its feeds failing, least first.", 8, 12).
			WithTarget(tableQuery("sort(min by (" + byRack + ") (" + leader(byRack+", feed", "dcplane_rack_failover_margin_watts", inRow) + "))")).Unit("watt"),
		history("A/B imbalance by rack",
			"Difference between a rack's most and least loaded feeds, as a share of its draw: 0 % is an even split.", "percent", 12, 12).
			WithTarget(query(feedImbalance(inRow), "{{rack}}")).
			Thresholds(steps(green, at(20, yellow), at(50, orange))).Min(0).Max(100),
		tablePanel("PDUs", "Each PDU's input power now, with its feed; a stale PDU is absent.", 12, 12).
			WithTarget(tableQuery(pdus(inRow))).Unit("watt"),
	}
}
