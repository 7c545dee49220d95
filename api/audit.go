package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dcplane/dcplane/controller/wire"
)

// AuditRecord is one entry of the audit trail.
type AuditRecord = wire.AuditRecord

// AuditFilter narrows GET /v1/audit.
type AuditFilter = wire.AuditFilter

// AuditList answers GET /v1/audit.
type AuditList struct {
	Records []AuditRecord `json:"records"`
}

// ProblemAuditUnavailable: the call was refused, not made, because its
// audit record could not be written.
const ProblemAuditUnavailable = "urn:dcplane:problem:audit-unavailable"

// auditCut is how much of a call's body and of its answer a record keeps.
const auditCut = 4 << 10

// Auditor is what the HTTP layer needs to keep the audit trail.
type Auditor interface {
	// RecordAudit commits a record; an error (wrapping
	// wire.ErrAuditUnavailable) fails the call it records.
	RecordAudit(ctx context.Context, rec wire.AuditRecord) error
	// Audit returns the records f matches, oldest first.
	Audit(ctx context.Context, f wire.AuditFilter) ([]wire.AuditRecord, error)
}

// Routes whose body, or answer, the audit trail must not keep: a snapshot
// (large, and holds the tokens' hashes), a new token's secret.
var (
	auditNoInput  = map[string]bool{"PUT /v1/cluster/snapshot": true}
	auditNoResult = map[string]bool{"POST /v1/tokens": true}
)

// auditBefore are the routes recorded before the call, without its
// result: a leader that hands over leadership can no longer commit
// anything once it has.
var auditBefore = map[string]bool{"POST /v1/cluster/transfer-leadership": true}

// auditCarried are the routes whose record may travel to the controller
// with the call (wire.CallAudit) and be committed in the same Raft entry
// as the command that makes its change, with the status each answers when
// that command is applied: one commit instead of two, and no change ever
// committed without its record. A call of these that commits nothing (a
// dry run, a replayed key, a refusal) is recorded as the others are.
var auditCarried = map[string]int{
	"POST /v1/placements":                http.StatusCreated,
	"DELETE /v1/placements/{id}":         http.StatusNoContent,
	"POST /v1/reservations":              http.StatusCreated,
	"POST /v1/reservations/{id}/confirm": http.StatusOK,
	"DELETE /v1/reservations/{id}":       http.StatusNoContent,
	"PUT /v1/inventory":                  http.StatusOK,
	"POST /v1/tokens":                    http.StatusCreated,
	"DELETE /v1/tokens/{id}":             http.StatusNoContent,
	"POST /v1/alerts/{id}/ack":           http.StatusOK,
	"POST /v1/alerts/{id}/silence":       http.StatusOK,
	"POST /v1/cluster/join":              http.StatusNoContent,
	"DELETE /v1/cluster/members/{id}":    http.StatusNoContent,
	"PUT /v1/cluster/snapshot":           http.StatusNoContent, // in the restored state (state.KeepAudit)
}

// audits says whether the call r is recorded: every call that may change
// the replicated state. Telemetry is not: it changes only the leader's
// window, many times a second.
func audits(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return r.URL.Path != "/v1/telemetry"
}

// audited serves h and records the call: who, when, what it asked, what
// it got. The answer is held until the record is committed; if it cannot
// be, the caller gets 503 outcome-unknown instead of it, so that no call
// succeeds unrecorded. On the routes of auditCarried the record goes down
// with the call and, when the call's command is applied, is committed in
// its entry with what the command did: then the API writes none.
func (s *Server) audited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if auditBefore[r.Pattern] {
			p, _ := PrincipalOf(r.Context())
			if !s.record(w, r, wire.AuditRecord{At: time.Now(), Who: p.Who, Role: p.Role, Method: r.Method,
				Path: auditPath(r), Result: "recorded before the call"}) {
				return
			}
			h(w, r)
			return
		}
		in := &capture{r: r.Body}
		r.Body = in
		rec := &heldResponse{header: http.Header{}, status: http.StatusOK}
		p, _ := PrincipalOf(r.Context())
		applied, carried := auditCarried[r.Pattern]
		var ca *wire.CallAudit
		if carried {
			input := func() string { return cut(in.buf.Bytes(), in.n) }
			if auditNoInput[r.Pattern] {
				input = func() string { return "" }
			}
			ca = wire.NewCallAudit(wire.AuditRecord{At: time.Now(), Who: p.Who, Role: p.Role, Method: r.Method,
				Path: auditPath(r), Status: applied}, input)
			r = r.WithContext(wire.WithCallAudit(r.Context(), ca))
		}
		h(rec, r)
		if ca != nil && ca.Carried() {
			if rec.status == applied {
				rec.send(w)
				return
			}
			// The command was committed with a record of success, yet the
			// call answers otherwise: record the answer as well.
			s.log.Warn("a call answered otherwise than the record committed with its command: recording its answer too",
				"method", r.Method, "path", r.URL.Path, "status", rec.status, "recorded", applied)
		}
		ar := wire.AuditRecord{At: time.Now(), Who: p.Who, Role: p.Role, Method: r.Method, Path: auditPath(r),
			Status: rec.status}
		if !auditNoInput[r.Pattern] {
			ar.Input = cut(in.buf.Bytes(), in.n)
		}
		if auditNoResult[r.Pattern] {
			ar.Result = tokenResult(rec.body.Bytes())
		} else {
			ar.Result = cut(rec.body.Bytes(), int64(rec.body.Len()))
		}
		if !s.record(w, r, ar) {
			return
		}
		rec.send(w)
	}
}

// record commits ar, or answers 503 and returns false.
func (s *Server) record(w http.ResponseWriter, r *http.Request, ar wire.AuditRecord) bool {
	err := s.auditor.RecordAudit(r.Context(), ar)
	if err == nil {
		return true
	}
	s.log.Error("audit record not written: the call's answer is withheld", "method", r.Method, "path", r.URL.Path, "status", ar.Status, "err", err)
	w.Header().Set("Retry-After", retryAfterSeconds)
	p := &Problem{Type: ProblemOutcomeUnknown, Title: "Outcome unknown", Status: http.StatusServiceUnavailable,
		Detail: "the call was made but its audit record could not be written, so its answer is withheld; send a write again with the same Idempotency-Key to learn its outcome"}
	if ar.Status == 0 {
		p.Type, p.Title, p.Detail = ProblemAuditUnavailable, "Audit unavailable", "the call's audit record could not be written, so the call was not made"
	}
	s.problem(w, r, p)
	return false
}

// tokenResult is what the audit keeps of a new token's answer: its ID,
// name and role, never its secret.
func tokenResult(body []byte) string {
	var t wire.NewToken
	if json.Unmarshal(body, &t) != nil {
		return cut(body, int64(len(body)))
	}
	b, _ := json.Marshal(t.Token)
	return string(b)
}

// cut is b as text, cut at auditCut, or its size when it is not text.
// auditPathCut bounds the request URI an audit record keeps: a query
// string is the caller's to make as long as the server's header limit, and
// every byte of it would be replicated into every node's state.
const auditPathCut = 1024

// auditPath is r's request URI as an audit record keeps it, cut to
// auditPathCut bytes.
func auditPath(r *http.Request) string {
	return cutTo([]byte(r.URL.RequestURI()), auditPathCut)
}

// cutTo is b as text, cut to n bytes with the whole length said. Bytes
// that are not UTF-8 (a query string may hold any) become U+FFFD, so that
// the record is the same text in every encoding of the log and the
// snapshot.
func cutTo(b []byte, n int) string {
	if len(b) <= n {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(b[:n]), "") + "…(" + strconv.Itoa(len(b)) + " bytes)"
}

func cut(b []byte, total int64) string {
	if len(b) > auditCut {
		b = b[:auditCut]
	}
	if !utf8.Valid(b) {
		return "(" + strconv.FormatInt(total, 10) + " bytes, not text)"
	}
	if total > int64(len(b)) {
		return string(b) + "…(" + strconv.FormatInt(total, 10) + " bytes)"
	}
	return string(b)
}

// capture keeps the first auditCut bytes read through it, and counts all.
type capture struct {
	r   io.ReadCloser
	buf bytes.Buffer
	n   int64
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if room := auditCut - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(n, room)])
	}
	c.n += int64(n)
	return n, err
}

func (c *capture) Close() error { return c.r.Close() }

// heldResponse holds an answer until the audit record of its call is
// written.
type heldResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if !h.wrote {
		h.status, h.wrote = status, true
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// send writes the held answer to w.
func (h *heldResponse) send(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}

// routeAudit serves GET /v1/audit when the Controller keeps the trail.
func (s *Server) routeAudit(a Auditor) {
	s.mux.HandleFunc("GET /v1/audit", s.local(func(w http.ResponseWriter, r *http.Request) {
		f, ok := s.auditFilter(w, r)
		if !ok {
			return
		}
		recs, err := a.Audit(r.Context(), f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.json(w, http.StatusOK, AuditList{Records: nonNil(recs)})
	}))
}

// auditFilter reads GET /v1/audit's query: who, path, method, since
// (RFC 3339) and limit.
func (s *Server) auditFilter(w http.ResponseWriter, r *http.Request) (AuditFilter, bool) {
	q := r.URL.Query()
	f := AuditFilter{Who: q.Get("who"), Path: q.Get("path"), Method: q.Get("method")}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.invalid(w, r, "since", "want an RFC 3339 time, such as 2025-01-02T15:04:05Z")
			return f, false
		}
		f.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.invalid(w, r, "limit", "want a whole number, 0 or more")
			return f, false
		}
		f.Limit = n
	}
	return f, true
}

// Audit lists the audit records f matches, oldest first.
func (c *Client) Audit(ctx context.Context, f AuditFilter) (*AuditList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"who": f.Who, "path": f.Path, "method": f.Method} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out AuditList
	return &out, c.do(ctx, http.MethodGet, "/v1/audit?"+q.Encode(), "", nil, &out)
}
