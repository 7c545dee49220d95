package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// rowCooling shows each row's IT load against its N+1 cooling capacity,
// the temperatures at the racks' inlets, the cooling units' state and the
// cooling alerts the controller raises.
func rowCooling() *dashboard.DashboardBuilder {
	b := newBoard("dcplane-cooling", "dcplane: row cooling",
		"Each row's IT load (the heat its in-row cooling removes) against its N+1 cooling capacity, inlet temperatures, the cooling units' state, and the cooling alerts.")
	section(b, "Rows", rowCoolingPanels()...)
	section(b, "Temperatures", inletPanels()...)
	return section(b, "Cooling units", unitPanels()...)
}

// rowCoolingPanels are each row's load against its cooling.
func rowCoolingPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("Row IT load against N+1 cooling",
			joinLines("Each row's measured draw (a lower bound while a rack is stale), its N+1 cooling capacity (its units' capacity less the largest unit's)",
				"and its power budget. Above the N+1 line one more unit failure overheats the row (CoolingNPlus1Lost)."), "watt", 16, 10).
			WithTarget(query(leader(byRow, "dcplane_row_power_known_watts", inRow), "{{row}} load")).
			WithTarget(query(leader(byRow, "dcplane_row_cooling_n_plus_1_watts", inRow), "{{row}} N+1 cooling")).
			WithTarget(query(leader(byRow, "dcplane_row_budget_watts", inRow), "{{row}} budget")).
			OverrideByRegexp(".* (budget|N\\+1 cooling)", []dashboard.DynamicConfigValue{
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
				{Id: "custom.fillOpacity", Value: 0},
			}).Min(0),
		statPanel("Cooling alerts firing",
			joinLines("Row IT load above its N+1 cooling capacity (CoolingNPlus1Lost) and rack inlet above 27 °C, ASHRAE's recommended limit",
				"(InletTemperatureHigh)."), "none", 8, 10).
			WithTarget(instant(firing("CoolingNPlus1Lost|InletTemperatureHigh"), "{{alertname}}")).
			Thresholds(steps(green, at(1, red))).TextMode(common.BigValueTextModeValueAndName).
			Orientation(common.VizOrientationHorizontal),
		statPanel("Row load, % of N+1 cooling",
			"Each row's measured draw as a share of its N+1 cooling capacity: above 100 % the row loses its redundancy.", "percentunit", 8, 6).
			WithTarget(instant(leader(byRow, "dcplane_row_power_known_watts", inRow)+" / "+
				leader(byRow, "dcplane_row_cooling_n_plus_1_watts", inRow), "{{row}}")).
			Thresholds(steps(green, at(0.8, yellow), at(0.95, orange), at(1, red))).Decimals(1),
		statPanel("Row load, % of budget", "Each row's measured draw as a share of its budget.", "percentunit", 8, 6).
			WithTarget(instant(leader(byRow, "dcplane_row_power_known_watts", inRow)+" / "+
				leader(byRow, "dcplane_row_budget_watts", inRow), "{{row}}")).
			Thresholds(steps(green, at(0.8, yellow), at(0.95, orange), at(1, red))).Decimals(1),
		statPanel("Stale racks, by row", "Racks of each row whose draw is unknown: the row's load is a lower bound.", "none", 8, 6).
			WithTarget(instant(leader(byRow, "dcplane_row_stale_racks", inRow), "{{row}}")).
			Thresholds(steps(green, at(1, orange))),
	}
}

// inletPanels are the temperatures at the racks' inlets, from the PDUs'
// probes and the cooling units' rack sensors.
func inletPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		history("Rack inlet temperature",
			joinLines("The hottest inlet probe of each rack's PDUs; STALE while a PDU of the rack is stale. A rack whose PDUs have no probe is not shown.",
				"InletTemperatureHigh alerts above 27 °C, ASHRAE's recommended limit."), "celsius", 16, 10).
			WithTarget(query(fmt.Sprintf("%s\nor on (%s)\n%d * (%s == 1)", leader(byRack, "dcplane_rack_inlet_temperature_celsius", inRow),
				byRack, staleValue, leader(byRack, "dcplane_rack_telemetry_stale", inRow)), "{{rack}}")).
			Thresholds(steps(blue, at(18, green), at(25, yellow), at(27, red))).Mappings(staleMapping()),
		statPanel("Cooling units' rack inlet",
			"The hottest rack inlet sensor of each cooling unit; STALE while the unit is, NO SENSOR when it reports none.", "celsius", 8, 10).
			WithTarget(instant(unitFigure("dcplane_cooling_unit_inlet_temperature_celsius", inRow), "{{unit}}")).
			Thresholds(steps(blue, at(18, green), at(25, yellow), at(27, red))).Mappings(unitMappings("NO SENSOR")).Decimals(1),
	}
}

// unitPanels are each cooling unit's state and load.
func unitPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		statPanel("Cooling unit state",
			joinLines("RUNNING or OFF as each unit says; STALE when its telemetry is (the unit may have failed: the measured what-if counts it lost);",
				"NOT REPORTED when it does not say."), "none", 8, 8).
			WithTarget(instant(unitFigure("dcplane_cooling_unit_running", inRow), "{{unit}}")).
			Mappings(append(unitMappings("NOT REPORTED"), valueText("1", "RUNNING", green), valueText("0", "OFF", red))),
		graph("Cooling unit output against capacity",
			"The heat each unit says it removes, and its capacity; a stale unit's output is absent.", "watt", 16, 8).
			WithTarget(query(leader(byUnit, "dcplane_cooling_unit_output_watts", inRow), "{{unit}} output")).
			WithTarget(query(leader(byUnit, "dcplane_cooling_unit_capacity_watts", inRow), "{{unit}} capacity")).
			OverrideByRegexp(".* capacity", []dashboard.DynamicConfigValue{
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
				{Id: "custom.fillOpacity", Value: 0},
			}).Min(0),
	}
}

// unitMappings show unitFigure's unknownValue as STALE and its
// notReportedValue as notReported.
func unitMappings(notReported string) []dashboard.ValueMapping {
	return []dashboard.ValueMapping{
		valueText(fmt.Sprint(unknownValue), "STALE", grey),
		valueText(fmt.Sprint(notReportedValue), notReported, grey),
	}
}
