package api

import (
	"context"
	"net/http"

	"github.com/dcplane/dcplane/controller/wire"
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
type ForecastReport = wire.ForecastReport

// ForecastObject is the forecast of one rack, row or hall.
type ForecastObject = wire.ForecastObject

// Forecast statuses.
const (
	ForecastWithin  = wire.ForecastWithin
	ForecastBeyond  = wire.ForecastBeyond
	ForecastUnknown = wire.ForecastUnknown
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
