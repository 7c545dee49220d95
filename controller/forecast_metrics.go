package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/controller/wire"
)

// secondsPerDay converts the forecasts' days to the metrics' base unit.
const secondsPerDay = 86400

// forecastMetrics exports the leader's last capacity forecast of every
// rack, row and hall. Labels: hall, row and rack, the ones an object does
// not have empty (a hall's forecast has row="" and rack="").
type forecastMetrics struct {
	toFull, beyond, known, horizon *prometheus.Desc
}

func newForecastMetrics() forecastMetrics {
	obj := []string{"hall", "row", "rack"}
	return forecastMetrics{
		toFull: prometheus.NewDesc("dcplane_forecast_time_to_full_seconds",
			"Time until a rack's, row's or hall's daily peak is forecast to reach its budget, in whole days (0: today). "+
				"Absent while the forecast is unknown (too little history: see dcplane_forecast_known) and when the budget is not reached within the horizon (see dcplane_forecast_beyond_horizon).", obj, nil),
		beyond: prometheus.NewDesc("dcplane_forecast_beyond_horizon",
			"1 if a rack's, row's or hall's budget is not forecast to be reached within the horizon, 0 if it is. Absent while the forecast is unknown.", obj, nil),
		known: prometheus.NewDesc("dcplane_forecast_known",
			"1 if a rack, row or hall has enough history with a daily peak to be forecast, 0 if not (the leader keeps the history since it became leader).", obj, nil),
		horizon: prometheus.NewDesc("dcplane_forecast_horizon_seconds", "How far ahead the forecasts look.", nil, nil),
	}
}

func (m forecastMetrics) describe(ch chan<- *prometheus.Desc) {
	ch <- m.toFull
	ch <- m.beyond
	ch <- m.known
	ch <- m.horizon
}

// collect exports rep, the forecasts the leader last made; nothing before
// it made any.
func (m forecastMetrics) collect(ch chan<- prometheus.Metric, rep *wire.ForecastReport) {
	if rep == nil {
		return
	}
	horizon := rep.HorizonDays
	if horizon <= 0 {
		horizon = forecast.DefaultHorizonDays
	}
	gauge(ch, m.horizon, float64(horizon)*secondsPerDay)
	for _, o := range rep.Objects {
		labels := forecastLabels(o)
		switch {
		case o.Status == wire.ForecastWithin:
			gauge(ch, m.known, 1, labels...)
			gauge(ch, m.beyond, 0, labels...)
			if o.DaysToFull != nil {
				gauge(ch, m.toFull, float64(*o.DaysToFull)*secondsPerDay, labels...)
			}
		case o.Status == wire.ForecastBeyond:
			gauge(ch, m.known, 1, labels...)
			gauge(ch, m.beyond, 1, labels...)
		default:
			gauge(ch, m.known, 0, labels...)
		}
	}
}

// forecastLabels are an object's hall, row and rack.
func forecastLabels(o wire.ForecastObject) []string {
	switch o.Kind {
	case forecast.KindRack:
		return []string{o.Hall, o.Row, o.ID}
	case forecast.KindRow:
		return []string{o.Hall, o.ID, ""}
	}
	return []string{o.ID, "", ""}
}
