package api

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// Limits on request bodies.
const (
	maxInventoryBytes = 32 << 20
	maxBatchBytes     = 8 << 20 // 500 polls are about 350 KB of CBOR
)

// Controller is what the HTTP layer needs of a controller node.
type Controller interface {
	// Report does the power accounting now. ErrNoInventory if none.
	Report(ctx context.Context) (*power.Report, error)
	// Site returns the applied inventory. ErrNoInventory if none.
	Site(ctx context.Context) (*inventory.Site, error)
	// PutSite replicates a validated inventory and returns its log index.
	PutSite(ctx context.Context, s *inventory.Site) (uint64, error)
	// Ingest takes an agent's polls into the telemetry window.
	Ingest(ctx context.Context, b *Batch) (accepted int, err error)
}

// Server serves the v1 API over a Controller.
type Server struct {
	c      Controller
	placer Placer    // nil unless c implements it
	whatif WhatIffer // nil unless c implements it
	router Router    // nil unless c implements it: a single node
	// transport forwards requests to the leader.
	transport *http.Transport
	log       *slog.Logger
	metrics   http.Handler
	mux       *routes
	auth      Authenticator // nil unless c implements it: then no one is served
	noAuth    bool          // every call is served, as admin: WithoutAuth, or c says so
	auditor   Auditor       // nil unless c implements it
	limits    Limits        // per client: WithLimits, else DefaultLimits
	reg       prometheus.Registerer
	lim       *limits
	denials   *denials // logs and counts the calls refused 401 or 403
}

// ServerOption changes how NewServer builds the Server.
type ServerOption func(*Server)

// WithoutAuth serves every call unauthenticated, as admin: for tests of
// Controllers that do not authenticate, never in production.
func WithoutAuth() ServerOption { return func(s *Server) { s.noAuth = true } }

// routes is the server's ServeMux, which remembers the patterns it was
// given, so that a test can check each against the access table.
type routes struct {
	*http.ServeMux
	patterns []string
}

func (m *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *routes) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// Patterns returns the pattern of every route the server serves.
func (s *Server) Patterns() []string { return slices.Clone(s.mux.patterns) }

// NewServer returns the API handler. metrics, if not nil, is served at
// /metrics. Calls are authenticated when c implements Authenticator (and
// refused when it does not), unless WithoutAuth.
func NewServer(c Controller, metrics http.Handler, log *slog.Logger, opts ...ServerOption) *Server {
	s := &Server{c: c, log: log.With("component", "api"), metrics: metrics, mux: &routes{ServeMux: http.NewServeMux()},
		transport: forwardTransport(), limits: DefaultLimits()}
	s.router, _ = c.(Router)
	if a, ok := c.(Authenticator); ok {
		s.auth, s.noAuth = a, !a.AuthEnabled()
	}
	s.auditor, _ = c.(Auditor)
	for _, o := range opts {
		o(s)
	}
	s.lim = newLimits(s.limits, s.reg)
	s.denials = newDenials(s.log, s.reg)
	if s.auditor != nil {
		s.routeAudit(s.auditor)
	}
	if m, ok := c.(TokenManager); ok {
		s.routeTokens(m)
	}
	// Telemetry lives on the leader only: what reads it is forwarded there,
	// like every write. Reads of the replicated state are served locally.
	s.mux.HandleFunc("GET /v1/racks", s.leader(s.racks))
	s.mux.HandleFunc("GET /v1/racks/{id}", s.leader(s.rack))
	s.mux.HandleFunc("GET /v1/power", s.leader(s.power))
	s.mux.HandleFunc("GET /v1/inventory", s.local(s.getInventory))
	s.mux.HandleFunc("PUT /v1/inventory", s.leader(s.putInventory))
	s.mux.HandleFunc("POST /v1/telemetry", s.leader(s.telemetry))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.routeCluster(c)
	if metrics != nil {
		s.mux.Handle("GET /metrics", metrics)
	}
	if p, ok := c.(Placer); ok {
		s.routePlacements(p)
	}
	if wi, ok := c.(WhatIffer); ok {
		s.routeWhatIf(wi)
	}
	if a, ok := c.(Alerter); ok {
		s.routeAlerts(a)
	}
	if f, ok := c.(Forecaster); ok {
		s.routeForecast(f)
	}
	if sv, ok := c.(Serverer); ok {
		s.routeServers(sv)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such endpoint", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("%s %s is not part of the API; see api/openapi.yaml", r.Method, r.URL.Path)})
	})
	return s
}

// ServeHTTP serves the API to the callers the access table lets call
// each route, within their client's Limits; on a cluster node every
// answer names the node.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.router != nil {
		w.Header().Set(HeaderNode, s.router.NodeID())
	}
	_, pattern := s.mux.Handler(r)
	if s.refuseGuesser(w, r) || s.forwardUnknownToken(w, r) {
		return
	}
	sw := &statusOf{ResponseWriter: w}
	authorized := s.authorize(sw, r, pattern)
	if authorized == nil {
		if sw.status == http.StatusUnauthorized {
			s.guessed(r)
		}
		return
	}
	r = authorized
	done := s.admit(w, r, pattern)
	if done == nil {
		return
	}
	defer done()
	s.mux.ServeHTTP(w, r)
}

// SetForwardTLS makes the requests forwarded to the leader dial over
// conf: mutual TLS with this node's certificate, in HTTP/1.1, as
// tlsutil.HTTPClient speaks (HTTP/2, which the transport would negotiate,
// costs both nodes more CPU a call).
func (s *Server) SetForwardTLS(conf *tls.Config) {
	t := forwardTransport()
	t.TLSClientConfig = conf
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	s.transport = t
}

// healthz says ok, or 503 with the reason while the node cannot serve its
// state: catching up, or stopped applying the log.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.router != nil {
		if err := s.router.Ready(); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	_, _ = io.WriteString(w, "ok\n")
}

// forwardTransport is the HTTP transport of requests forwarded to the
// leader: bounded dial and header waits, so that a dead leader costs a
// client seconds, not minutes; and as many connections to it as a client
// of tlsutil.HTTPClient opens at most, so that a follower's burst waits
// for one rather than taking the leader's connection limit.
func forwardTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	t.MaxIdleConnsPerHost = tlsutil.MaxIdleConnsPerHost
	t.MaxConnsPerHost = tlsutil.MaxConnsPerHost
	return t
}

func (s *Server) racks(w http.ResponseWriter, r *http.Request) {
	rep, err := s.c.Report(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	out := RackList{At: rep.At, Racks: []power.Rack{}}
	for _, k := range rep.Racks {
		if match(q.Get("hall"), k.Hall) && match(q.Get("row"), k.Row) && match(q.Get("status"), k.Status) {
			out.Racks = append(out.Racks, k)
		}
	}
	s.json(w, http.StatusOK, out)
}

// nonNil makes an absent list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func match(want, got string) bool { return want == "" || want == got }

func (s *Server) rack(w http.ResponseWriter, r *http.Request) {
	rep, err := s.c.Report(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, ok := rep.Rack(r.PathValue("id"))
	if !ok {
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "No such rack", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("rack %q is not in the inventory", r.PathValue("id"))})
		return
	}
	s.json(w, http.StatusOK, k)
}

func (s *Server) power(w http.ResponseWriter, r *http.Request) {
	rep, err := s.c.Report(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusOK, PowerSummary{At: rep.At, Site: rep.Site, Halls: nonNil(rep.Halls), Rows: nonNil(rep.Rows)})
}

func (s *Server) getInventory(w http.ResponseWriter, r *http.Request) {
	site, err := s.c.Site(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusOK, site)
}

func (s *Server) putInventory(w http.ResponseWriter, r *http.Request) {
	body, ok := s.body(w, r, maxInventoryBytes, MediaYAML, MediaJSON, "text/yaml", "application/x-yaml")
	if !ok {
		return
	}
	// JSON is YAML: one parser gives line numbers for both.
	site, err := inventory.ParseContext(r.Context(), "request body", body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	idx, err := s.c.PutSite(r.Context(), site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := site.Count()
	s.json(w, http.StatusOK, InventoryResult{Site: site.Name, Halls: c.Halls, Rows: c.Rows, Racks: c.Racks,
		PDUs: c.PDUs, CoolingUnits: c.CoolingUnits, BudgetWatts: c.BudgetWatts, Index: idx})
}

// body reads a request body of one of the accepted media types, up to max
// bytes, or answers with a problem and returns false.
func (s *Server) body(w http.ResponseWriter, r *http.Request, max int64, accept ...string) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !contains(accept, mt) {
		s.problem(w, r, &Problem{Type: ProblemUnsupported, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("Content-Type %q; this endpoint takes %s", r.Header.Get("Content-Type"), strings.Join(accept, ", ")),
			Errors: []FieldProblem{{Field: "Content-Type", Detail: "must be one of " + strings.Join(accept, ", ")}}})
		return nil, false
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, max)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Malformed gzip body", Status: http.StatusBadRequest, Detail: err.Error(),
				Errors: []FieldProblem{{Field: "body", Detail: "not gzip data"}}})
			return nil, false
		}
		defer zr.Close()
		// Bound what the body expands to as well (a small bomb is cheap):
		// read one byte past the limit to tell "at" from "over".
		body = io.LimitReader(zr, max+1)
	default:
		s.problem(w, r, &Problem{Type: ProblemUnsupported, Title: "Unsupported content encoding", Status: http.StatusUnsupportedMediaType,
			Errors: []FieldProblem{{Field: "Content-Encoding", Detail: fmt.Sprintf("%q; use gzip or none", enc)}}})
		return nil, false
	}
	b, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || int64(len(b)) > max:
		s.problem(w, r, &Problem{Type: ProblemTooLarge, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the limit is %d bytes", max)})
		return nil, false
	case err != nil:
		s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Unreadable request body", Status: http.StatusBadRequest, Detail: err.Error()})
		return nil, false
	}
	return b, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fail maps a Controller's error onto a problem.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var nl *NotLeaderError
	var ve *inventory.ValidationError
	if s.unavailable(w, r, err) || s.failPlacement(w, r, err) {
		return
	}
	switch {
	case errors.As(err, &ve):
		p := &Problem{Type: ProblemInvalid, Title: "Invalid inventory", Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("%d problem(s) in the inventory", len(ve.Problems))}
		for _, fe := range ve.Problems {
			p.Errors = append(p.Errors, FieldProblem{Field: fe.Field, Line: fe.Line, Detail: fe.Msg})
		}
		s.problem(w, r, p)
	case errors.As(err, &nl):
		s.problem(w, r, &Problem{Type: ProblemNotLeader, Title: "Not the leader", Status: http.StatusServiceUnavailable,
			Detail: "this controller is not the Raft leader; send the request to the leader", Leader: nl.LeaderAPI})
	case errors.Is(err, ErrNotLeader):
		s.problem(w, r, &Problem{Type: ProblemNotLeader, Title: "Not the leader", Status: http.StatusServiceUnavailable,
			Detail: strings.TrimPrefix(err.Error(), "api: ")})
	case errors.Is(err, ErrNoInventory):
		s.problem(w, r, &Problem{Type: ProblemNoInventory, Title: "No inventory loaded", Status: http.StatusConflict,
			Detail: "load a site inventory first: dcplane inventory apply FILE"})
	case errors.Is(err, state.ErrInvalidToken):
		s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Invalid token", Status: http.StatusUnprocessableEntity,
			Detail: err.Error()})
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnknownToken):
		s.problem(w, r, &Problem{Type: ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: err.Error()})
	default:
		// The cause stays in the log: it may tell an outsider more than it
		// should.
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		s.problem(w, r, &Problem{Type: ProblemInternal, Title: "Internal error", Status: http.StatusInternalServerError,
			Detail: "the request failed inside the controller; see its log"})
	}
}

func (s *Server) problem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", MediaProblem)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// json answers v as JSON. It encodes before writing the status, so that a
// value that cannot be encoded is a 500 problem, not a 200 with no body.
func (s *Server) json(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode response", "err", err)
		s.problem(w, nil, &Problem{Type: ProblemInternal, Title: "Internal error", Status: http.StatusInternalServerError,
			Detail: "the answer could not be encoded; see the controller's log"})
		return
	}
	w.Header().Set("Content-Type", MediaJSON)
	w.WriteHeader(status)
	if _, err := w.Write(append(b, '\n')); err != nil {
		s.log.Debug("write response", "err", err)
	}
}
