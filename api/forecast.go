package api

import (
	"context"
	"net/http"
	"time"
)

// Forecaster is what the HTTP layer needs for capacity forecasts. A
// Controller that also implements it gets GET /v1/forecast, forwarded to
// the leader: the history forecasts are made from is the leader's.
type Forecaster interface {
	// Forecast returns the days-to-full of every rack, row and hall.
	Forecast(ctx context.Context) (*ForecastReport, error)
}

// ForecastReport is the answer of GET /v1/forecast: when each rack, row and
// hall reaches its budget at the trend of its daily peaks.
type ForecastReport struct {
	// At is when the forecasts were made (the leader makes them every few
	// minutes); HistorySince when the leader began keeping the history
	// they are made from (a new leader starts afresh).
	At           time.Time `json:"at"`
	HistorySince time.Time `json:"history_since"`
	HorizonDays  int       `json:"horizon_days"`
	// Objects are the halls, then the rows, then the racks, each by ID.
	Objects []ForecastObject `json:"objects"`
}

// ForecastObject is the forecast of one rack, row or hall.
type ForecastObject struct {
	Kind string `json:"kind"` // rack, row or hall
	ID   string `json:"id"`
	Hall string `json:"hall,omitempty"`
	Row  string `json:"row,omitempty"`
	// Status is "within" (DaysToFull says when), "beyond" (not within the
	// horizon) or "unknown" (Why says why: too little history, say).
	Status      string  `json:"status"`
	DaysToFull  *int    `json:"days_to_full,omitempty"`
	BudgetWatts float64 `json:"budget_watts"`
	// PeakWatts is the forecast daily peak of the day it reaches the
	// budget, or of the horizon's last day; absent when unknown.
	PeakWatts *float64 `json:"peak_watts,omitempty"`
	// HistoryDays is how many days of the history have a daily peak.
	HistoryDays int    `json:"history_days"`
	Why         string `json:"why,omitempty"`
}

// Forecast statuses.
const (
	ForecastWithin  = "within"
	ForecastBeyond  = "beyond"
	ForecastUnknown = "unknown"
)

// ForecastFilter narrows GET /v1/forecast; empty fields match everything.
type ForecastFilter struct{ Hall, Row string }

func (s *Server) routeForecast(f Forecaster) {
	s.mux.HandleFunc("GET /v1/forecast", s.leader(func(w http.ResponseWriter, r *http.Request) {
		rep, err := f.Forecast(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		hall, row := q.Get("hall"), q.Get("row")
		out := *rep
		out.Objects = []ForecastObject{}
		for _, o := range rep.Objects {
			if forecastMatch(o, hall, row) {
				out.Objects = append(out.Objects, o)
			}
		}
		s.json(w, http.StatusOK, out)
	}))
}

// forecastMatch says whether o is within hall and row: a hall's forecast
// is listed for its hall, not for one of its rows.
func forecastMatch(o ForecastObject, hall, row string) bool {
	oh, or := o.Hall, o.Row
	switch o.Kind {
	case "hall":
		oh = o.ID
	case "row":
		or = o.ID
	}
	if row != "" && (o.Kind == "hall" || or != row) {
		return false
	}
	return hall == "" || oh == hall
}
