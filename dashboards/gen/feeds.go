package main

import (
	"fmt"

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

// feedsAndPhases shows how the draw splits across the A and B feeds and
// which racks would strain one feed alone.
func feedsAndPhases() *dashboard.DashboardBuilder {
	return newBoard("dcplane-feeds", "dcplane: feeds and phases",
		"A/B feed balance and failover margin: how each hall's and rack's draw splits across its feeds.").
		WithRow(dashboard.NewRowBuilder("Feeds")).
		WithPanel(graph("Draw by feed, by hall",
			"The measured PDUs' draw on each feed of each hall; a stale PDU drops out of its sum, which stays.", "watt", 16, 9).
			WithTarget(query(fmt.Sprintf("sum by (hall, feed) (%s)", pdus(inRow)), "{{hall}} feed {{feed}}")).Min(0)).
		WithPanel(statPanel("Feed and phase alerts firing",
			joinLines("A/B redundancy lost (a rack draws more than one feed can carry alone: 80 % of the surviving PDU's breaker, per phase),",
				"phase current at 80 % of the breaker, phase imbalance: the controller evaluates these on every PDU's phases.",
				missing("phase currents and breaker ratings")), "none", 8, 9).
			WithTarget(instant(firing("RedundancyLost|PhaseCurrentHigh|PhaseImbalance"), "{{alertname}}")).
			Thresholds(steps(green, at(1, red))).TextMode(common.BigValueTextModeValueAndName).
			Orientation(common.VizOrientationHorizontal)).
		WithRow(dashboard.NewRowBuilder("Racks")).
		WithPanel(history("A/B imbalance by rack",
			"Difference between a rack's most and least loaded feeds, as a share of its draw: 0 % is an even split.", "percent", 12, 12).
			WithTarget(query(feedImbalance(inRow), "{{rack}}")).
			Thresholds(steps(green, at(20, yellow), at(50, orange))).Min(0).Max(100)).
		WithPanel(history("Failover load by rack, % of budget",
			joinLines("What one feed would carry alone if the other failed: the rack's whole draw, as a share of its budget;",
				"STALE when unknown.", missing("the failover margin against each PDU's breaker")), "percent", 12, 12).
			WithTarget(query(rackShare(inRow), "{{rack}}")).
			Thresholds(budgetSteps()).Mappings(staleMapping()).Min(0).Max(110)).
		WithPanel(tablePanel("PDUs", "Each PDU's input power now, with its feed; a stale PDU is absent.", 24, 10).
			WithTarget(tableQuery(pdus(inRow))).Unit("watt"))
}
