package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
)

// TestOutcomeUnknown checks that a write the leader cannot tell the outcome
// of is answered as such, not as an internal error: the client may send it
// again with its idempotency key.
func TestOutcomeUnknown(t *testing.T) {
	lost := func(placement.Request, string, bool, bool) (*state.Placement, []placement.Candidate, error) {
		return nil, nil, fmt.Errorf("apply Place: %w: leadership lost while committing log", store.ErrOutcomeUnknown)
	}
	srv := api.NewServer(&fakePlacer{place: lost}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	ts := httptest.NewServer(srv)
	defer ts.Close()
	body := `{"name":"portal","replicas":1,"cpu_millicores":100,"memory_mib":64,"watts":10}`
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/placements", strings.NewReader(body))
	req.Header.Set("Content-Type", api.MediaJSON)
	req.Header.Set("Idempotency-Key", "k-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p api.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusServiceUnavailable || p.Type != api.ProblemOutcomeUnknown || res.Header.Get("Retry-After") != "1" {
		t.Errorf("got %d %s, Retry-After %q, want 503 %s, Retry-After 1", res.StatusCode, p.Type, res.Header.Get("Retry-After"), api.ProblemOutcomeUnknown)
	}
	if !strings.Contains(p.Detail, "Idempotency-Key") {
		t.Errorf("detail: got %q, want it to say how to learn the outcome", p.Detail)
	}
}
