package main

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statushistory"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// ds is the data source of every panel and variable: the dashboard's
// $datasource variable, so that a site picks its Prometheus.
var ds = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// The selectors of the hall and row variables. Every query of a rack,
// row, hall or PDU metric carries one (a test holds them to it), so that
// the end-to-end test, which sets $hall to the hall with a stale rack,
// sees each rollup of that hall.
const (
	inHall = `hall=~"$hall"`
	inRow  = `hall=~"$hall", row=~"$row"`
)

// Label sets of the objects dcplane exports.
const (
	byHall = "hall"
	byRow  = "hall, row"
	byRack = "hall, row, rack"
	byPDU  = "hall, row, rack, pdu, feed"
)

// leader reads a metric only the Raft leader exports, one series per
// object: every controller is scraped, and across a failover two leaders
// overlap for a scrape or two, so the series are collapsed with max.
func leader(by, metric, sel string) string {
	if sel != "" {
		metric += "{" + sel + "}"
	}
	return fmt.Sprintf("max by (%s) (%s)", by, metric)
}

// rate is the per-second rate of a counter over five minutes, summed by
// the labels given.
func rate(by, metric, sel string) string {
	if sel != "" {
		metric += "{" + sel + "}"
	}
	return fmt.Sprintf("sum by (%s) (rate(%s[5m]))", by, metric)
}

// firing is how many alerts of the rules named (a regexp) fire, by rule.
func firing(rules string) string {
	return leader("alertname", "dcplane_alerts_firing", fmt.Sprintf(`alertname=~"%s"`, rules))
}

// headroom is the watts the measured racks selected by sel can still take,
// summed by the labels given: a rack over budget takes nothing and frees
// nothing, and a stale rack, whose draw is unknown, counts as full. A
// stale rack therefore lowers the sum instead of blanking it.
func headroom(by, sel string) string {
	sum := "sum"
	if by != "" {
		sum += " by (" + by + ")"
	}
	return fmt.Sprintf("%s (clamp_min(%s - %s, 0))", sum,
		leader(byRack, "dcplane_rack_budget_watts", sel), leader(byRack, "dcplane_rack_power_watts", sel))
}

// staleValue is what rackShare gives a rack whose draw is unknown: no
// share of a budget is negative, and the panels map it to "STALE".
const staleValue = -1

// rackShare is each rack's draw as a percentage of its budget, and
// staleValue for a rack with stale telemetry, so that a stale rack shows as
// stale, never as 0 and never as a hole.
func rackShare(sel string) string {
	return fmt.Sprintf("100 * %s / %s\nor\n%d * (%s == 1)",
		leader(byRack, "dcplane_rack_power_watts", sel), leader(byRack, "dcplane_rack_budget_watts", sel),
		staleValue, leader(byRack, "dcplane_rack_telemetry_stale", sel))
}

// query is a range query, for graphs.
func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(ds).Expr(expr).LegendFormat(legend).Range()
}

// instant is an instant query, for the figures of now.
func instant(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(ds).Expr(expr).LegendFormat(legend).Instant()
}

// tableQuery is an instant query whose labels become a table's columns.
func tableQuery(expr string) *prometheus.DataqueryBuilder {
	return instant(expr, "").Format(prometheus.PromQueryFormatTable)
}

// level is a threshold: from a value up, a colour.
type level struct {
	from  float64
	color string
}

func at(from float64, color string) level { return level{from, color} }

// steps are thresholds: a base colour, then a colour from each level up.
func steps(base string, levels ...level) *dashboard.ThresholdsConfigBuilder {
	out := []dashboard.Threshold{{Color: base}}
	for _, l := range levels {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(l.from), Color: l.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(out)
}

// Colours of the thresholds, Grafana's names.
const (
	green   = "green"
	yellow  = "#EAB839"
	orange  = "orange"
	red     = "red"
	darkRed = "dark-red"
	grey    = "#8e8e8e"
	blue    = "blue"
)

// budgetSteps colour a share of a budget as dcplane's alerts do: warning
// at 80 %, critical at 95 %, over at 100 %.
func budgetSteps() *dashboard.ThresholdsConfigBuilder {
	return steps(green, at(80, yellow), at(95, orange), at(100, red))
}

// valueText maps exact values to a text and a colour.
func valueText(pairs ...string) dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+2 < len(pairs); i += 3 {
		opts[pairs[i]] = dashboard.ValueMappingResult{Text: cog.ToPtr(pairs[i+1]), Color: cog.ToPtr(pairs[i+2]), Index: cog.ToPtr(int32(i / 3))}
	}
	return dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}
}

// staleMapping shows staleValue as STALE, in grey.
func staleMapping() []dashboard.ValueMapping {
	return []dashboard.ValueMapping{valueText(fmt.Sprint(staleValue), "STALE", grey)}
}

// statPanel is a big figure of now.
func statPanel(title, desc, unit string, w, h uint32) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).Unit(unit).Span(w).Height(h).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"last"})).
		ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeAuto)
}

// graph is a time series panel.
func graph(title, desc, unit string, w, h uint32) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).Unit(unit).Span(w).Height(h).
		LineWidth(1).FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementRight).ShowLegend(true).Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

// history is a status history panel: a row a series, a cell a moment,
// coloured by value, the heat map of objects over time.
func history(title, desc, unit string, w, h uint32) *statushistory.PanelBuilder {
	return statushistory.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).Unit(unit).Span(w).Height(h).
		ShowValue(common.VisibilityModeNever).ColWidth(0.9).RowHeight(0.9).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false).DisplayMode(common.LegendDisplayModeHidden).
			Placement(common.LegendPlacementBottom))
}

// tablePanel is a table of an instant query's series, one row each.
func tablePanel(title, desc string, w, h uint32) *table.PanelBuilder {
	return table.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).Span(w).Height(h).
		// No footer; its reducer is set because the SDK's default, null,
		// is one its own schema refuses.
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true},
		}})
}

// board starts a dashboard of dcplane: the data source, hall and row
// variables, links to the others, refreshed every 30 s.
func newBoard(uid, title, desc string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).
		Tags([]string{"dcplane"}).Editable().Refresh("30s").Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("dcplane").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"dcplane"}).AsDropdown(true).IncludeVars(true).KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")).
		WithVariable(labelVariable("hall", "Hall", "dcplane_hall_budget_watts")).
		WithVariable(labelVariable("row", "Row", "dcplane_row_budget_watts{"+inHall+"}"))
}

// section adds a row and its panels to a dashboard.
func section(b *dashboard.DashboardBuilder, title string, panels ...cog.Builder[dashboard.Panel]) *dashboard.DashboardBuilder {
	b.WithRow(dashboard.NewRowBuilder(title))
	for _, p := range panels {
		b.WithPanel(p)
	}
	return b
}

// labelVariable is a multi-value variable of a label's values, All by
// default.
func labelVariable(name, label, series string) *dashboard.QueryVariableBuilder {
	all := dashboard.VariableOption{Selected: cog.ToPtr(true),
		Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}}}
	return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(ds).
		Query(dashboard.StringOrMap{String: cog.ToPtr(fmt.Sprintf("label_values(%s, %s)", series, name))}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(".*").Current(all)
}

// Values the forecast and cooling unit queries give an object whose figure
// is not known, mapped to a text: none is a count of seconds or a state.
const (
	unknownValue     = -1 // a forecast of too little history; a stale unit
	beyondValue      = -2 // a forecast whose budget is not reached within the horizon
	notReportedValue = -2 // a fresh unit that does not report the figure
)

// Label sets of the forecasts and the cooling units.
const (
	byObject = "hall, row, rack" // a forecast's: row and rack empty for a hall
	byUnit   = "hall, row, unit"
)

// daysToFull is each rack's, row's and hall's forecast time to full:
// the time when within the horizon, beyondValue when beyond it, and
// unknownValue when there is too little history, so that every object the
// leader forecasts has a row.
func daysToFull(sel string) string {
	return fmt.Sprintf("%s\nor on (%s)\n%d * (%s == 1)\nor on (%s)\n%d + (%s == 0)",
		leader(byObject, "dcplane_forecast_time_to_full_seconds", sel),
		byObject, beyondValue, leader(byObject, "dcplane_forecast_beyond_horizon", sel),
		byObject, unknownValue, leader(byObject, "dcplane_forecast_known", sel))
}

// unitFigure is a cooling unit's metric, unknownValue for a stale unit and
// notReportedValue for a fresh unit that does not report it.
func unitFigure(metric, sel string) string {
	stale := leader(byUnit, "dcplane_cooling_unit_telemetry_stale", sel)
	return fmt.Sprintf("%s\nor on (%s)\n%d * (%s == 1)\nor on (%s)\n%d + (%s == 0)",
		leader(byUnit, metric, sel), byUnit, unknownValue, stale, byUnit, notReportedValue, stale)
}

// joinLines keeps long descriptions readable in Go.
func joinLines(lines ...string) string { return strings.Join(lines, " ") }
