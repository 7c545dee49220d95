package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/dcplane/dcplane/controller/telemetry"
)

// TelemetryTaker is what the HTTP layer needs to take an agent's
// telemetry for the halls it is assigned, and to tell it what was refused.
// A Controller that lacks it is served through Ingest, for agents of every
// hall only.
type TelemetryTaker interface {
	// TakeTelemetry takes the polls of b's devices that lie in halls
	// (every hall when empty) and says what it refused and why.
	TakeTelemetry(ctx context.Context, b *Batch, halls []string) (telemetry.Result, error)
}

// IngestReport answers POST /v1/telemetry: how many polls were taken, and
// what was refused and why, for the agent to log and count. It has every
// field of IngestResult.
type IngestReport struct {
	Accepted int `json:"accepted"` // polls newer than what the controller had
	// RefusedPolls counts, by reason, the polls refused whole: future,
	// push-limit, unassigned (a device outside the agent's halls).
	RefusedPolls map[string]int `json:"refused_polls,omitempty"`
	// DroppedReadings counts, by reason, the readings of taken polls that
	// were dropped: implausible, series-limit, beyond-rating.
	DroppedReadings map[string]int `json:"dropped_readings,omitempty"`
	// Problems describes the first refusals one by one.
	Problems []IngestProblem `json:"problems,omitempty"`
}

// IngestProblem is one refused poll or dropped reading.
type IngestProblem struct {
	Device string `json:"device"`
	Metric string `json:"metric,omitempty"` // empty for a refused poll
	Scope  string `json:"scope,omitempty"`
	Index  int    `json:"index,omitempty"`
	// Value is the reading as sent, in Go's %g ("+Inf", "NaN" included),
	// which JSON numbers cannot all carry.
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Refused is how many polls and readings the report says were refused.
func (r *IngestReport) Refused() (polls, readings int) {
	for _, n := range r.RefusedPolls {
		polls += n
	}
	for _, n := range r.DroppedReadings {
		readings += n
	}
	return polls, readings
}

func reportOf(res telemetry.Result) IngestReport {
	out := IngestReport{Accepted: res.Accepted}
	for why, n := range res.RefusedPolls {
		if n > 0 {
			out.RefusedPolls = setCount(out.RefusedPolls, string(why), n)
		}
	}
	for why, n := range res.DroppedReadings {
		if n > 0 {
			out.DroppedReadings = setCount(out.DroppedReadings, string(why), n)
		}
	}
	for _, p := range res.Problems {
		ip := IngestProblem{Device: p.Device, Metric: string(p.Metric), Scope: string(p.Scope), Index: p.Index,
			Reason: string(p.Reason), Detail: p.Detail}
		if p.Metric != "" {
			ip.Value = strconv.FormatFloat(p.Value, 'g', -1, 64)
		}
		out.Problems = append(out.Problems, ip)
	}
	return out
}

func setCount(m map[string]int, k string, n int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k] = n
	return m
}

func (s *Server) telemetry(w http.ResponseWriter, r *http.Request) {
	body, ok := s.body(w, r, maxBatchBytes, MediaCBOR)
	if !ok {
		return
	}
	var b Batch
	if err := decodeBatch(body, &b); err != nil {
		s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Malformed telemetry batch", Status: http.StatusBadRequest,
			Detail: err.Error(), Errors: []FieldProblem{{Field: "body", Detail: "not a CBOR-encoded Batch"}}})
		return
	}
	if b.Agent == "" {
		s.problem(w, r, &Problem{Type: ProblemInvalid, Title: "Invalid telemetry batch", Status: http.StatusBadRequest,
			Errors: []FieldProblem{{Field: "agent", Detail: "is required"}}})
		return
	}
	p, _ := PrincipalOf(r.Context())
	if p.Agent != "" && b.Agent != p.Agent {
		s.refuse(w, r, r.Pattern, p.Who, denyAgentName, &Problem{Type: ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: fmt.Sprintf("%s may push telemetry only as agent %q, and this batch names agent %q", p.Who, p.Agent, b.Agent),
			Errors: []FieldProblem{{Field: "agent", Detail: fmt.Sprintf("must be %q, the name the caller's credentials are bound to", p.Agent)}}})
		return
	}
	t, ok := s.c.(TelemetryTaker)
	if !ok {
		if len(p.Halls) > 0 {
			s.refuse(w, r, r.Pattern, p.Who, denyHallsUnenforced, &Problem{Type: ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
				Detail: "this controller cannot hold " + p.Who + " to its halls, so takes nothing from it"})
			return
		}
		n, err := s.c.Ingest(r.Context(), &b)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.json(w, http.StatusAccepted, IngestReport{Accepted: n})
		return
	}
	res, err := t.TakeTelemetry(r.Context(), &b, p.Halls)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, http.StatusAccepted, reportOf(res))
}

// PushTelemetry sends a batch of polls as Push does, and returns the
// controller's whole answer: what it took, and what it refused and why.
func (c *Client) PushTelemetry(ctx context.Context, b *Batch) (*IngestReport, error) {
	body, err := EncodeBatch(b)
	if err != nil {
		return nil, err
	}
	var out IngestReport
	return &out, c.do(ctx, http.MethodPost, "/v1/telemetry", MediaCBOR, body, &out, "Content-Encoding", "gzip")
}
