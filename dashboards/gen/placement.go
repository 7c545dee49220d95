package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// placementBoard shows the placement requests and how they are answered,
// where there is room to place, and whether placed workloads draw what
// they declared.
func placementBoard() *dashboard.DashboardBuilder {
	b := newBoard("dcplane-placement", "dcplane: placement",
		"Placement requests by result, refusals by reason, decision latency, room to place, and placed (declared) against measured power by rack.")
	section(b, "Requests", requestPanels()...)
	section(b, "Room to place", roomPanels()...)
	return section(b, "Racks", placedPanels()...)
}

// quantile is a quantile of a histogram over five minutes, across the
// controllers.
func quantile(q float64, metric string) string {
	return fmt.Sprintf("histogram_quantile(%v, sum by (le) (rate(%s_bucket[5m])))", q, metric)
}

// requestPanels are the requests the leader answered, its refusals and
// its latency.
func requestPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Requests by result",
			joinLines("Placement and reservation requests answered per second: placed (or replayed for its key), dry_run, refused (does not fit),",
				"invalid, unknown (the commit failed, its outcome not known: retry with the same key), unavailable (not the leader, no inventory)."),
			"reqps", 8, 9).
			WithTarget(query(rate("result", "dcplane_placement_requests_total", ""), "{{result}}")).Min(0),
		graph("Refusals by reason",
			joinLines("Requests refused as not fitting, per second, by the binding constraint: the one that ruled out the most promising candidate",
				"(rack-power, feed-failover, cooling, hall-budget, cpu, memory, gpus…)."), "reqps", 8, 9).
			WithTarget(query(rate("reason", "dcplane_placement_refusals_total", ""), "{{reason}}")).Min(0),
		graph("Decision latency",
			joinLines("How long the leader takes to decide where a request goes (waiting for the decision lock included),",
				"and to answer it (the Raft commit included): median and 99th percentile over five minutes; no line without requests."), "s", 8, 9).
			WithTarget(query(quantile(0.5, "dcplane_placement_decision_seconds"), "decision p50")).
			WithTarget(query(quantile(0.99, "dcplane_placement_decision_seconds"), "decision p99")).
			WithTarget(query(quantile(0.99, "dcplane_placement_request_duration_seconds"), "answer p99")).Min(0),
	}
}

// roomPanels are the room left to place and the declared power alerts.
func roomPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Room to place, by row",
			"Watts each row's racks can still take up to their budgets; a stale rack counts as full (placement skips it).", "watt", 16, 9).
			WithTarget(query(headroom(byRow, inRow), "{{row}}")).Min(0),
		statPanel("Declared power exceeded",
			"Placements whose racks' measurements contradict their declared power (DeclaredPowerExceeded alerts).", "none", 8, 9).
			WithTarget(instant(firing("DeclaredPowerExceeded"), "{{alertname}}")).
			Thresholds(steps(green, at(1, orange))),
	}
}

// placedPanels are each rack's declared power against its measured draw.
func placedPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Placed and reserved against measured power, by rack",
			joinLines("What the placements and live reservations on each rack's servers declare, and what the rack draws, measured",
				"(absent while stale). A rack's draw also holds what dcplane did not place."), "watt", 12, 10).
			WithTarget(query(leader(byRack, "dcplane_rack_placed_watts", inRow)+" + "+
				leader(byRack, "dcplane_rack_reserved_watts", inRow), "{{rack}} declared")).
			WithTarget(query(leader(byRack, "dcplane_rack_power_watts", inRow), "{{rack}} measured")).
			OverrideByRegexp(".* declared", []dashboard.DynamicConfigValue{
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
				{Id: "custom.fillOpacity", Value: 0},
			}).Min(0),
		tablePanel("Racks with the most room",
			"The 20 measured racks that can take the most watts now.", 12, 10).
			WithTarget(tableQuery("topk(20, " + leader(byRack, "dcplane_rack_budget_watts", inRow) + " - " +
				leader(byRack, "dcplane_rack_power_watts", inRow) + ")")).Unit("watt"),
	}
}
