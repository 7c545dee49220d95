package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/dcplane/dcplane/controller/whatif"
)

// WhatIffer is what the HTTP layer needs for the maintenance what-ifs. A
// Controller that also implements it gets GET /v1/whatif/{scenario}.
type WhatIffer interface {
	// WhatIf says what would break if target (a feed, with an optional
	// hall, or a cooling unit) failed now.
	WhatIf(ctx context.Context, scenario, target, hall string) (*whatif.Report, error)
}

func (s *Server) routeWhatIf(w WhatIffer) {
	s.whatif = w
	s.mux.HandleFunc("GET /v1/whatif/feed-off", s.leader(s.whatIfFeedOff))
	s.mux.HandleFunc("GET /v1/whatif/cooling-off", s.leader(s.whatIfCoolingOff))
}

func (s *Server) whatIfFeedOff(w http.ResponseWriter, r *http.Request) {
	feed := r.URL.Query().Get("feed")
	if feed == "" {
		s.invalid(w, r, "feed", "is required: the feed to switch off, e.g. ?feed=A")
		return
	}
	s.answerWhatIf(w, r, whatif.ScenarioFeedOff, feed, r.URL.Query().Get("hall"))
}

func (s *Server) whatIfCoolingOff(w http.ResponseWriter, r *http.Request) {
	unit := r.URL.Query().Get("unit")
	if unit == "" {
		s.invalid(w, r, "unit", "is required: the cooling unit that fails, e.g. ?unit=H1-R01-C1")
		return
	}
	s.answerWhatIf(w, r, whatif.ScenarioCoolingOff, unit, "")
}

func (s *Server) answerWhatIf(w http.ResponseWriter, r *http.Request, scenario, target, hall string) {
	rep, err := s.whatif.WhatIf(r.Context(), scenario, target, hall)
	var nf *whatif.NotFoundError
	switch {
	case errors.As(err, &nf):
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such " + nf.What, Status: http.StatusNotFound,
			Detail: err.Error(), Errors: []FieldProblem{{Field: fieldOf(nf.What), Detail: err.Error()}}})
	case err != nil:
		s.fail(w, r, err)
	default:
		s.json(w, http.StatusOK, rep)
	}
}

// fieldOf is the query parameter that names an object of a what-if.
func fieldOf(what string) string {
	switch what {
	case "cooling unit":
		return "unit"
	case "hall":
		return "hall"
	}
	return "feed"
}
