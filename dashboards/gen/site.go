package main

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// siteOverview answers "how full is the site, and is anything wrong": IT
// load against capacity by hall, headroom, stale racks, firing alerts.
// Every figure is of the racks whose draw is known, so that a stale rack
// lowers a rollup instead of blanking it, and says how many are stale.
func siteOverview() *dashboard.DashboardBuilder {
	b := newBoard("dcplane-site", "dcplane: site overview",
		"IT load against capacity by hall, headroom, stale racks and firing alerts.")
	section(b, "Site now", siteNowPanels()...)
	section(b, "Halls", hallPanels()...)
	return section(b, "Alerts", statPanel("Alerts firing, by rule", "Each of dcplane's rules and how many of its alerts fire now.", "none", 24, 5).
		WithTarget(instant(leader("alertname", "dcplane_alerts_firing", ""), "{{alertname}}")).
		Thresholds(steps(green, at(1, red))).TextMode(common.BigValueTextModeValueAndName))
}

// siteNowPanels are the site's figures of now, site-wide whatever the
// variables.
func siteNowPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		statPanel("IT load (measured racks)",
			"Power the racks whose draw is known draw: a lower bound while some are stale (see Stale racks).", "watt", 5, 4).
			WithTarget(instant(leader("site", "dcplane_site_power_known_watts", ""), "{{site}}")).
			Thresholds(steps(blue)).ColorMode(common.BigValueColorModeValue),
		statPanel("Budget used (measured racks)",
			"The measured racks' draw as a share of the site's budget.", "percentunit", 5, 4).
			WithTarget(instant(leader("site", "dcplane_site_power_known_watts", "")+" / "+
				leader("site", "dcplane_site_budget_watts", ""), "{{site}}")).
			Thresholds(steps(green, at(0.8, yellow), at(0.95, orange), at(1, red))).Decimals(1),
		statPanel("Headroom",
			"Watts the racks can still take, each up to its budget; a stale rack counts as full and a rack over budget frees nothing.",
			"watt", 5, 4).
			WithTarget(instant(headroom("", ""), "")).Thresholds(steps(blue)).ColorMode(common.BigValueColorModeValue),
		statPanel("Stale racks",
			"Racks whose draw is unknown (stale telemetry): never counted as 0 W.", "none", 4, 4).
			WithTarget(instant(leader("site", "dcplane_site_stale_racks", ""), "{{site}}")).
			Thresholds(steps(green, at(1, orange))),
		statPanel("Alerts firing", "Alerts dcplane's leader has firing, silenced ones included (dcplane alerts ls).", "none", 5, 4).
			WithTarget(instant("sum("+leader("alertname, severity", "dcplane_alerts_firing", "")+")", "")).
			Thresholds(steps(green, at(1, red))),
	}
}

// hallPanels are each hall's load against its budget, headroom, stale
// racks and the capacity forecast.
func hallPanels() []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		graph("IT load against capacity, by hall",
			"Each hall's measured draw (a lower bound while a rack is stale) and its budget.", "watt", 16, 9).
			WithTarget(query(leader(byHall, "dcplane_hall_power_known_watts", inHall), "{{hall}} draw")).
			WithTarget(query(leader(byHall, "dcplane_hall_budget_watts", inHall), "{{hall}} budget")).
			OverrideByRegexp(".* budget", []dashboard.DynamicConfigValue{
				{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
				{Id: "custom.fillOpacity", Value: 0},
			}).Min(0),
		statPanel("Budget used, by hall", "Each hall's measured draw as a share of its budget.", "percentunit", 8, 9).
			WithTarget(instant(leader(byHall, "dcplane_hall_power_known_watts", inHall)+" / "+
				leader(byHall, "dcplane_hall_budget_watts", inHall), "{{hall}}")).
			Thresholds(steps(green, at(0.8, yellow), at(0.95, orange), at(1, red))).Decimals(1).
			Orientation(common.VizOrientationHorizontal),
		statPanel("Headroom, by hall",
			"Watts each hall's racks can still take (a stale rack counts as full).", "watt", 8, 6).
			WithTarget(instant(headroom(byHall, inHall), "{{hall}}")).Thresholds(steps(blue)).
			ColorMode(common.BigValueColorModeValue),
		statPanel("Stale racks, by hall", "Racks of each hall whose draw is unknown.", "none", 8, 6).
			WithTarget(instant(leader(byHall, "dcplane_hall_stale_racks", inHall), "{{hall}}")).
			Thresholds(steps(green, at(1, orange))),
		statPanel("Capacity forecast",
			joinLines("Racks, rows and halls the controller forecasts to reach their budget within the configured days (CapacityForecast alerts);",
				"Time to full below lists each one's days-to-full."), "none", 8, 6).
			WithTarget(instant(firing("CapacityForecast"), "{{alertname}}")).
			Thresholds(steps(green, at(1, orange))).
			Mappings([]dashboard.ValueMapping{valueText("0", "none within the horizon", green)}),
		forecastTable(),
	}
}

// forecastTable lists each hall's, row's and rack's forecast time to full
// (a hall's row has row and rack empty): the time, BEYOND HORIZON, or
// UNKNOWN while the leader has too little history (three days with a
// peak) to forecast.
func forecastTable() cog.Builder[dashboard.Panel] {
	return tablePanel("Time to full, by hall, row and rack",
		joinLines("When each object's daily peak is forecast to reach its budget, at the trend of its history (whole days; 0 s: today).",
			"UNKNOWN while the leader has fewer than three days of its history with a peak (it keeps the history since it became leader);",
			"BEYOND HORIZON when not within the forecast's horizon (dcplane_forecast_horizon_seconds, 90 days). `dcplane forecast` says more."), 24, 10).
		WithTarget(tableQuery(daysToFull(inHall))).Unit("s").
		Thresholds(steps(green, at(0, red), at(7*86400, orange), at(30*86400, yellow), at(90*86400, green))).
		Mappings([]dashboard.ValueMapping{
			valueText(fmt.Sprint(unknownValue), "UNKNOWN", grey),
			valueText(fmt.Sprint(beyondValue), "BEYOND HORIZON", green),
		})
}
