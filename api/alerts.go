package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/wire"
)

// Limits of alert requests.
const (
	maxAlertBodyBytes = 8 << 10
	maxReasonLen      = 1024
	maxCallerLen      = 128
	// maxSilence bounds a silence: a longer one is forgotten, not meant.
	maxSilence = 30 * 24 * time.Hour
)

// HeaderUser names the person an ack or a silence is recorded as from.
// It is trusted as given until authentication comes (issue 7): see caller.
const HeaderUser = "X-Dcplane-User"

// Alerter is what the HTTP layer needs for alerts. A Controller that also
// implements it gets /v1/alerts: the list forwarded to the leader, which
// evaluates the rules (pending alerts and live values are its alone), and
// acks and silences, which are writes.
type Alerter interface {
	// Alerts lists the pending and firing alerts with their acks and
	// silences, as of the leader's last evaluation.
	Alerts(ctx context.Context) (*AlertList, error)
	// AckAlert records that by takes the firing alert id on, why saying
	// how. An error wrapping alerts.ErrNotFiring if it does not fire.
	AckAlert(ctx context.Context, id, by, why string) (*alerts.Alert, error)
	// SilenceAlert stops notifications of alert id for d. An error
	// wrapping ErrUnknownRule if id names no rule.
	SilenceAlert(ctx context.Context, id, by, why string, d time.Duration) (*alerts.Silence, error)
}

// ErrUnknownRule is returned for an alert ID whose rule dcplane does not
// have: a silence of it would silence nothing.
var ErrUnknownRule = wire.ErrUnknownRule

// AlertList is the answer of GET /v1/alerts.
type AlertList = wire.AlertList

// AckRequest is the body of POST /v1/alerts/{id}/ack.
type AckRequest struct {
	Reason string `json:"reason,omitempty"`
}

// SilenceRequest is the body of POST /v1/alerts/{id}/silence.
type SilenceRequest struct {
	For    string `json:"for"` // a duration: "2h", "30m"
	Reason string `json:"reason,omitempty"`
}

// AlertFilter narrows GET /v1/alerts; empty fields match everything.
type AlertFilter struct {
	Status, Severity, Rule, Hall, Row, Rack string
}

func (s *Server) routeAlerts(a Alerter) {
	s.mux.HandleFunc("GET /v1/alerts", s.leader(func(w http.ResponseWriter, r *http.Request) { s.listAlerts(w, r, a) }))
	s.mux.HandleFunc("POST /v1/alerts/{id}/ack", s.leader(func(w http.ResponseWriter, r *http.Request) { s.ackAlert(w, r, a) }))
	s.mux.HandleFunc("POST /v1/alerts/{id}/silence", s.leader(func(w http.ResponseWriter, r *http.Request) { s.silenceAlert(w, r, a) }))
}

// alertFilters are the query parameters of GET /v1/alerts and the values
// each takes ("" for any).
var alertFilters = map[string][]string{
	"status":   {string(alerts.StatusPending), string(alerts.StatusFiring)},
	"severity": {string(alerts.Critical), string(alerts.Warning)},
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, a Alerter) {
	q := r.URL.Query()
	for field, values := range alertFilters {
		if v := q.Get(field); v != "" && !contains(values, v) {
			s.invalid(w, r, field, fmt.Sprintf("want one of %s, got %q", strings.Join(values, ", "), v))
			return
		}
	}
	if v := q.Get("rule"); v != "" && !knownRule(alerts.Rule(v)) {
		s.invalid(w, r, "rule", fmt.Sprintf("no rule %q (see GET /v1/alerts?rule= values in api/openapi.yaml)", v))
		return
	}
	f := AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Rule: q.Get("rule"),
		Hall: q.Get("hall"), Row: q.Get("row"), Rack: q.Get("rack")}
	list, err := a.Alerts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := AlertList{At: list.At, Alerts: []alerts.Alert{}}
	for _, al := range list.Alerts {
		if f.matches(&al) {
			out.Alerts = append(out.Alerts, al)
		}
	}
	s.json(w, http.StatusOK, out)
}

// matches says whether an alert passes the filter.
func (f AlertFilter) matches(a *alerts.Alert) bool {
	return match(f.Status, string(a.Status)) && match(f.Severity, string(a.Severity)) && match(f.Rule, string(a.Rule)) &&
		match(f.Hall, a.Object.Hall) && match(f.Row, a.Object.Row) && match(f.Rack, a.Object.Rack)
}

func knownRule(r alerts.Rule) bool {
	for _, i := range alerts.Rules() {
		if i.Rule == r {
			return true
		}
	}
	return false
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request, a Alerter) {
	by, ok := s.caller(w, r)
	if !ok {
		return
	}
	var req AckRequest
	if !s.alertBody(w, r, &req) {
		return
	}
	if len(req.Reason) > maxReasonLen {
		s.invalid(w, r, "reason", fmt.Sprintf("at most %d bytes", maxReasonLen))
		return
	}
	al, err := a.AckAlert(r.Context(), r.PathValue("id"), by, req.Reason)
	if err != nil {
		s.failAlert(w, r, err)
		return
	}
	s.json(w, http.StatusOK, al)
}

func (s *Server) silenceAlert(w http.ResponseWriter, r *http.Request, a Alerter) {
	by, ok := s.caller(w, r)
	if !ok {
		return
	}
	var req SilenceRequest
	if !s.alertBody(w, r, &req) {
		return
	}
	d, err := time.ParseDuration(req.For)
	switch {
	case err != nil || d <= 0 || d > maxSilence:
		s.invalid(w, r, "for", fmt.Sprintf("want a duration between 1s and %v such as \"2h\", got %q", maxSilence, req.For))
		return
	case len(req.Reason) > maxReasonLen:
		s.invalid(w, r, "reason", fmt.Sprintf("at most %d bytes", maxReasonLen))
		return
	}
	sil, err := a.SilenceAlert(r.Context(), r.PathValue("id"), by, req.Reason, d)
	if err != nil {
		s.failAlert(w, r, err)
		return
	}
	s.json(w, http.StatusOK, sil)
}

// alertBody decodes an ack's or a silence's JSON body into v; an empty
// body is an empty request.
func (s *Server) alertBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return true
	}
	body, ok := s.body(w, r, maxAlertBodyBytes, MediaJSON)
	if !ok {
		return false
	}
	if len(body) == 0 {
		return true
	}
	if field, detail := decodeStrict(body, v); field != "" {
		s.invalid(w, r, field, detail)
		return false
	}
	return true
}

// caller is who makes the request, recorded as the author of an ack or a
// silence. For now it is the name the client gives in the X-Dcplane-User
// header, trusted as given: this is the hook where authentication (issue
// 7) puts the authenticated principal instead, and refuses a header that
// disagrees with it.
func (s *Server) caller(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := strings.TrimSpace(r.Header.Get(HeaderUser))
	switch {
	case name == "":
		s.invalid(w, r, HeaderUser, "is required: who acknowledges or silences (dcplane sends $USER, or --by)")
		return "", false
	case len(name) > maxCallerLen || strings.ContainsFunc(name, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		s.invalid(w, r, HeaderUser, fmt.Sprintf("at most %d printable characters", maxCallerLen))
		return "", false
	}
	return name, true
}

// failAlert maps the errors of acks and silences onto problems.
func (s *Server) failAlert(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, alerts.ErrNotFiring):
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such firing alert", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("alert %s is not firing: it may have resolved (dcplane alerts ls)", r.PathValue("id")),
			Errors: []FieldProblem{{Field: "id", Detail: "not a firing alert"}}})
	case errors.Is(err, ErrUnknownRule), errors.Is(err, alerts.ErrInvalidTransition):
		s.invalid(w, r, "id", err.Error())
	default:
		s.fail(w, r, err)
	}
}
