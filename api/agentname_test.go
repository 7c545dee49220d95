package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
)

// TestHallTokenAgentPushesOnlyUnderItsTokenName: over a real socket, an
// agent token restricted to halls binds its pushes to the token's name
// (403 naming the field agent otherwise), while an agent token for every
// hall, such as the demo's one "demo-agent" token, is bound to no name.
func TestHallTokenAgentPushesOnlyUnderItsTokenName(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	ctx := context.Background()
	admin := client(t, a.url, a.admin)
	hall, err := admin.CreateToken(ctx, api.TokenRequest{Name: "rack-agent-1", Role: api.RoleAgent, Halls: []string{"H1"}})
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := admin.CreateToken(ctx, api.TokenRequest{Name: "demo-agent", Role: api.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	push := func(secret, agent string) (int, api.Problem) {
		body, err := api.EncodeBatch(&api.Batch{Agent: agent, Seq: 1, Polls: []collectors.Status{{Device: "H1-R01-K01-PA", At: time.Now(), OK: true}}})
		if err != nil {
			t.Fatal(err)
		}
		return pushBody(t, a.url, secret, body)
	}
	if status, p := push(hall.Secret, "rack-agent-2"); status != http.StatusForbidden || len(p.Errors) != 1 || p.Errors[0].Field != "agent" {
		t.Errorf("H1 token named rack-agent-1 pushing as rack-agent-2: got %d %+v, want 403 naming field agent", status, p)
	}
	if status, p := push(hall.Secret, "rack-agent-1"); status != http.StatusAccepted {
		t.Errorf("H1 token pushing under its own name: got %d %+v, want 202", status, p)
	}
	for _, name := range []string{"demo-agent", "agent-of-hall-3"} {
		if status, p := push(fleet.Secret, name); status != http.StatusAccepted {
			t.Errorf("token for every hall pushing as %s: got %d %+v, want 202", name, status, p)
		}
	}
}

// pushBody posts an encoded batch with a bearer token and returns the
// status and the decoded problem, if any.
func pushBody(t *testing.T, url, secret string, body []byte) (int, api.Problem) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/telemetry", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", api.MediaCBOR)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p api.Problem
	if resp.Header.Get("Content-Type") == api.MediaProblem {
		_ = json.NewDecoder(resp.Body).Decode(&p)
	}
	return resp.StatusCode, p
}
