package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// placementBoard shows where there is room to place and whether placed
// workloads draw what they declared.
func placementBoard() *dashboard.DashboardBuilder {
	return newBoard("dcplane-placement", "dcplane: placement",
		joinLines("Room to place by row and rack, measured power, and placements whose racks draw more than declared.",
			missing("placement requests, latency, refusals by reason and placed watts per rack"))).
		WithRow(dashboard.NewRowBuilder("Room to place")).
		WithPanel(graph("Room to place, by row",
			"Watts each row's racks can still take up to their budgets; a stale rack counts as full (placement skips it).", "watt", 16, 9).
			WithTarget(query(headroom(byRow, inRow), "{{row}}")).Min(0)).
		WithPanel(statPanel("Declared power exceeded",
			joinLines("Placements whose racks' measurements contradict their declared power (DeclaredPowerExceeded alerts).",
				missing("placed watts per rack")), "none", 8, 9).
			WithTarget(instant(firing("DeclaredPowerExceeded"), "{{alertname}}")).
			Thresholds(steps(green, at(1, orange)))).
		WithRow(dashboard.NewRowBuilder("Racks")).
		WithPanel(graph("Measured draw by rack",
			joinLines("What the placed workloads' racks draw, measured; `dcplane placement ls` lists what was declared.",
				missing("placed (declared) watts per rack")), "watt", 12, 10).
			WithTarget(query(leader(byRack, "dcplane_rack_power_watts", inRow), "{{rack}}")).Min(0)).
		WithPanel(tablePanel("Racks with the most room",
			"The 20 measured racks that can take the most watts now.", 12, 10).
			WithTarget(tableQuery("topk(20, " + leader(byRack, "dcplane_rack_budget_watts", inRow) + " - " +
				leader(byRack, "dcplane_rack_power_watts", inRow) + ")")).Unit("watt"))
}
