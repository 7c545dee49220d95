package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// rackHeatMap shows every rack as a share of its budget, now and over
// time. A rack whose draw is unknown shows as STALE: rackShare gives it
// staleValue, which the panels map to grey text, never to 0 %.
func rackHeatMap() *dashboard.DashboardBuilder {
	return newBoard("dcplane-racks", "dcplane: rack heat map",
		"Every rack as a share of its power budget; a rack with stale telemetry shows as STALE, never as 0.").
		WithRow(dashboard.NewRowBuilder("Racks")).
		WithPanel(statPanel("Racks now, % of budget",
			"Each rack's draw as a share of its budget: yellow from 80 %, orange from 95 %, red over budget; STALE when its draw is unknown.",
			"percent", 24, 10).
			WithTarget(instant(rackShare(inRow), "{{rack}}")).
			Thresholds(budgetSteps()).Mappings(staleMapping()).Decimals(0).
			TextMode(common.BigValueTextModeValueAndName).Orientation(common.VizOrientationAuto)).
		WithPanel(history("Racks over time, % of budget",
			"A row a rack, coloured as above; grey cells are moments its draw was unknown.", "percent", 24, 14).
			WithTarget(query(rackShare(inRow), "{{rack}}")).
			Thresholds(budgetSteps()).Mappings(staleMapping()).Min(0).Max(110)).
		WithRow(dashboard.NewRowBuilder("Headroom and staleness")).
		WithPanel(tablePanel("Racks with the least headroom",
			"The 20 measured racks closest to (or over) their budget, in watts they can still take.", 12, 10).
			WithTarget(tableQuery("bottomk(20, " + leader(byRack, "dcplane_rack_budget_watts", inRow) + " - " +
				leader(byRack, "dcplane_rack_power_watts", inRow) + ")")).
			Unit("watt").Thresholds(steps(red, at(0, orange), at(1000, green))).
			CellOptions(common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
				Type: common.TableCellDisplayModeColorBackground}})).
		WithPanel(tablePanel("Telemetry by rack",
			"Whether each rack's draw is known: STALE while some PDU of it has stale telemetry.", 12, 10).
			WithTarget(tableQuery(leader(byRack, "dcplane_rack_telemetry_stale", inRow))).
			Mappings([]dashboard.ValueMapping{valueText("0", "fresh", green, "1", "STALE", grey)}).
			CellOptions(common.TableCellOptions{TableColorTextCellOptions: &common.TableColorTextCellOptions{
				Type: common.TableCellDisplayModeColorText}}))
}
