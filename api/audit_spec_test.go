package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/wire"
)

// auditController keeps an audit trail in memory and says what filter
// it was last asked for.
type auditController struct {
	fakeController
	recs  []wire.AuditRecord
	asked wire.AuditFilter
}

func (f *auditController) RecordAudit(_ context.Context, r wire.AuditRecord) error {
	r.Seq = uint64(len(f.recs) + 1)
	f.recs = append(f.recs, r)
	return nil
}

func (f *auditController) Audit(_ context.Context, q wire.AuditFilter) ([]wire.AuditRecord, error) {
	f.asked = q
	return f.recs, nil
}

// TestAuditAnswersMatchTheSpec: GET /v1/audit, with and without its
// filters, and its refusals of filters it cannot read, answer as
// openapi.yaml describes (AuditList, AuditRecord), and the filters reach
// the controller as given.
func TestAuditAnswersMatchTheSpec(t *testing.T) {
	router := specRouter(t)
	f := &auditController{recs: []wire.AuditRecord{
		{Seq: 1, At: at, Who: "token:ab12 (root)", Role: api.RoleAdmin, Node: "c1", Method: "PUT", Path: "/v1/inventory",
			Input: "site: dc", Status: 200, Result: "applied with its record: inventory of site \"dc\""},
		{Seq: 2, At: at.Add(time.Minute), Who: "cert:agent-h1 via c2", Role: api.RoleAgent, Node: "c1", Method: "POST",
			Path: "/v1/alerts/X%7B%7D/ack", Status: 404},
	}}
	srv := api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	status, body, _ := do(t, router, srv, call{method: "GET", path: "/v1/audit"})
	var list api.AuditList
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Records) != 2 || list.Records[1].Who != "cert:agent-h1 via c2" {
		t.Fatalf("GET /v1/audit: got %d %s, want 200 and both records", status, body)
	}
	status, body, _ = do(t, router, srv, call{method: "GET", path: "/v1/audit?who=token%3Aab12&path=%2Fv1%2Finventory&method=PUT&since=2026-11-23T12:00:00Z&limit=5"})
	want := wire.AuditFilter{Who: "token:ab12", Path: "/v1/inventory", Method: "PUT", Since: at, Limit: 5}
	if status != 200 || f.asked != want {
		t.Errorf("filtered GET /v1/audit: got %d %s asking %+v, want 200 asking %+v", status, body, f.asked, want)
	}
	for _, q := range []string{"since=yesterday", "limit=-1", "limit=many"} {
		if status, body, _ := do(t, router, srv, call{method: "GET", path: "/v1/audit?" + q}); status != 422 {
			t.Errorf("GET /v1/audit?%s: got %d %s, want 422", q, status, body)
		}
	}
	// An empty trail is an empty list, as the spec says, not null.
	f.recs = nil
	if status, body, _ := do(t, router, srv, call{method: "GET", path: "/v1/audit"}); status != 200 || string(body) != "{\"records\":[]}\n" {
		t.Errorf("GET /v1/audit of an empty trail: got %d %q, want 200 and no records", status, body)
	}
}
