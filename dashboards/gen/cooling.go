package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// rowCooling shows each row's IT load, the heat its cooling must remove,
// and the cooling alerts the controller raises.
func rowCooling() *dashboard.DashboardBuilder {
	return newBoard("dcplane-cooling", "dcplane: row cooling",
		"Each row's IT load (the heat its in-row cooling removes) and the cooling alerts: N+1 capacity, inlet temperature.").
		WithRow(dashboard.NewRowBuilder("Rows")).
		WithPanel(graph("Row IT load",
			joinLines("Each row's measured draw (a lower bound while a rack is stale) and its power budget.",
				"The controller compares the load with the row's N+1 cooling capacity (CoolingNPlus1Lost);",
				missing("the N+1 capacity")), "watt", 16, 10).
			WithTarget(query(leader(byRow, "dcplane_row_power_known_watts", inRow), "{{row}} load")).
			WithTarget(query(leader(byRow, "dcplane_row_budget_watts", inRow), "{{row}} budget")).
			OverrideByRegexp(".* budget", []dashboard.DynamicConfigValue{
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
				{Id: "custom.fillOpacity", Value: 0},
			}).Min(0)).
		WithPanel(statPanel("Cooling alerts firing",
			joinLines("Row IT load above its N+1 cooling capacity (CoolingNPlus1Lost) and rack inlet above 27 °C, ASHRAE's recommended limit",
				"(InletTemperatureHigh).", missing("inlet temperatures and cooling units' state")), "none", 8, 10).
			WithTarget(instant(firing("CoolingNPlus1Lost|InletTemperatureHigh"), "{{alertname}}")).
			Thresholds(steps(green, at(1, red))).TextMode(common.BigValueTextModeValueAndName).
			Orientation(common.VizOrientationHorizontal)).
		WithPanel(statPanel("Row load, % of budget", "Each row's measured draw as a share of its budget.", "percentunit", 16, 6).
			WithTarget(instant(leader(byRow, "dcplane_row_power_known_watts", inRow)+" / "+
				leader(byRow, "dcplane_row_budget_watts", inRow), "{{row}}")).
			Thresholds(steps(green, at(0.8, yellow), at(0.95, orange), at(1, red))).Decimals(1)).
		WithPanel(statPanel("Stale racks, by row", "Racks of each row whose draw is unknown: the row's load is a lower bound.", "none", 8, 6).
			WithTarget(instant(leader(byRow, "dcplane_row_stale_racks", inRow), "{{row}}")).
			Thresholds(steps(green, at(1, orange))))
}
