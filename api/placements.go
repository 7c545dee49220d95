package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
)

// Limits of placement requests.
const (
	maxPlacementBytes = 64 << 10
	// maxKeyLen bounds an Idempotency-Key header.
	maxKeyLen = 128
	// maxTTL bounds a reservation's lifetime.
	maxTTL = 7 * 24 * time.Hour
)

// Placer is what the HTTP layer needs for placements. A Controller that
// also implements it gets the /v1/placements and /v1/reservations
// endpoints.
type Placer interface {
	// Place decides and (unless dryRun) commits a placement. A non-empty key
	// makes a retried request return the first one's placement.
	Place(ctx context.Context, req placement.Request, key string, dryRun, explain bool) (*state.Placement, []placement.Candidate, error)
	// Reserve commits a reservation that expires after ttl unless confirmed.
	Reserve(ctx context.Context, req placement.Request, key string, ttl time.Duration) (*state.Placement, error)
	// Placements lists placements and reservations, of one system if not "".
	Placements(ctx context.Context, system string) ([]*state.Placement, error)
	// Placement returns one; an error wrapping state.ErrUnknownPlacement if none.
	Placement(ctx context.Context, id string) (*state.Placement, error)
	// RemovePlacement removes a placement or reservation.
	RemovePlacement(ctx context.Context, id string) error
	// ConfirmReservation turns a reservation into a placement.
	ConfirmReservation(ctx context.Context, id string) (*state.Placement, error)
}

func (s *Server) routePlacements(p Placer) {
	s.placer = p
	s.mux.HandleFunc("POST /v1/placements", s.leader(s.place))
	s.mux.HandleFunc("GET /v1/placements", s.local(s.listPlacements))
	s.mux.HandleFunc("GET /v1/placements/{id}", s.local(s.getPlacement))
	s.mux.HandleFunc("DELETE /v1/placements/{id}", s.leader(s.deletePlacement))
	s.mux.HandleFunc("POST /v1/reservations", s.leader(s.reserve))
	s.mux.HandleFunc("POST /v1/reservations/{id}/confirm", s.leader(s.confirm))
	s.mux.HandleFunc("DELETE /v1/reservations/{id}", s.leader(s.deletePlacement))
}

func (s *Server) place(w http.ResponseWriter, r *http.Request) {
	req, key, ok := s.placementRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	dryRun, explain := req.DryRun || q.Get("dry_run") == "true", req.Explain || q.Get("explain") == "true"
	p, cands, err := s.placer.Place(r.Context(), req.engine(), key, dryRun, explain)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if dryRun {
		status = http.StatusOK
	}
	s.json(w, status, placementOut(p, cands, dryRun))
}

func (s *Server) reserve(w http.ResponseWriter, r *http.Request) {
	req, key, ok := s.placementRequest(w, r)
	if !ok {
		return
	}
	ttl, err := time.ParseDuration(req.TTL)
	if err != nil || ttl <= 0 || ttl > maxTTL {
		s.invalid(w, r, "ttl", fmt.Sprintf("want a duration between 1s and %v such as \"15m\", got %q", maxTTL, req.TTL))
		return
	}
	p, err := s.placer.Reserve(r.Context(), req.engine(), key, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, placementOut(p, nil, false))
}

// placementRequest reads and checks a placement request body and its
// Idempotency-Key, or answers with a problem.
func (s *Server) placementRequest(w http.ResponseWriter, r *http.Request) (PlacementRequest, string, bool) {
	var req PlacementRequest
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxKeyLen || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		s.invalid(w, r, "Idempotency-Key", fmt.Sprintf("at most %d printable ASCII characters", maxKeyLen))
		return req, "", false
	}
	body, ok := s.body(w, r, maxPlacementBytes, MediaJSON)
	if !ok {
		return req, "", false
	}
	if field, detail := decodeStrict(body, &req); field != "" {
		s.invalid(w, r, field, detail)
		return req, "", false
	}
	if err := req.engine().Validate(); err != nil {
		s.fail(w, r, err)
		return req, "", false
	}
	return req, key, true
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// trailing data. On failure it returns the field at fault and what is wrong.
func decodeStrict(body []byte, v any) (field, detail string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return "body", "holds more than one JSON value"
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil:
		return "", ""
	case errors.As(err, &te):
		return te.Field, fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)
	case errors.As(err, &se):
		return "body", fmt.Sprintf("not JSON at byte %d: %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return f, "is not a field of this request (see api/openapi.yaml)"
	default:
		return "body", err.Error()
	}
}

func (s *Server) listPlacements(w http.ResponseWriter, r *http.Request) {
	ps, err := s.placer.Placements(r.Context(), r.URL.Query().Get("system"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := PlacementList{Placements: []Placement{}}
	for _, p := range ps {
		out.Placements = append(out.Placements, placementOut(p, nil, false))
	}
	s.json(w, http.StatusOK, out)
}

func (s *Server) getPlacement(w http.ResponseWriter, r *http.Request) {
	p, err := s.placer.Placement(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusOK, placementOut(p, nil, false))
}

func (s *Server) deletePlacement(w http.ResponseWriter, r *http.Request) {
	if err := s.placer.RemovePlacement(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	p, err := s.placer.ConfirmReservation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusOK, placementOut(p, nil, false))
}

// invalid answers a 422 naming the field at fault.
func (s *Server) invalid(w http.ResponseWriter, r *http.Request, field, detail string) {
	s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Invalid request", Status: http.StatusUnprocessableEntity,
		Detail: field + ": " + detail, Errors: []FieldProblem{{Field: field, Detail: detail}}})
}

// failPlacement maps the placement errors onto problems; it says whether
// err was one of them.
func (s *Server) failPlacement(w http.ResponseWriter, r *http.Request, err error) bool {
	var fe *placement.FieldError
	var inf *placement.Infeasible
	switch {
	case errors.As(err, &fe):
		s.invalid(w, r, fe.Field, fe.Msg)
	case errors.As(err, &inf):
		s.problem(w, r, &Problem{Type: ProblemInfeasible, Title: "The workload does not fit", Status: http.StatusConflict,
			Detail: inf.Binding, Rejected: inf.Rejected})
	case errors.Is(err, state.ErrUnknownPlacement):
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such placement", Status: http.StatusNotFound,
			Detail: strings.TrimPrefix(err.Error(), "apply ")})
	default:
		return false
	}
	return true
}

func placementOut(p *state.Placement, cands []placement.Candidate, dryRun bool) Placement {
	req := p.Request
	out := Placement{ID: p.ID, Name: req.Name, System: req.System, Status: p.Status, DryRun: dryRun,
		CreatedAt: p.CreatedAt, Replicas: []Replica{}, Request: requestOut(req)}
	if !p.ExpiresAt.IsZero() {
		e := p.ExpiresAt
		out.ExpiresAt = &e
	}
	for _, a := range p.Assignments {
		out.Replicas = append(out.Replicas, Replica{Replica: a.Replica, Server: a.Server, Rack: a.Rack, Row: a.Row,
			Hall: a.Hall, Feeds: a.Feeds, Watts: a.Watts})
		out.Watts += a.Watts
	}
	for _, c := range cands {
		out.Candidates = append(out.Candidates, Candidate{Rack: c.Rack, Server: c.Server, Score: c.Score, Scores: c.Scores})
	}
	return out
}
