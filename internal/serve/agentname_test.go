package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// withInventory gives n, a leader with auth, a two-hall inventory through
// the bootstrap admin token, and returns that admin's client.
func withInventory(ctx context.Context, t *testing.T, s *site, n *tlsNode) *api.Client {
	t.Helper()
	op, err := api.NewClient(n.url, s.client(t, tlsutil.RoleOperator))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the first admin token", func() bool {
		b, err := os.ReadFile(filepath.Join(n.dir, controller.AdminTokenFile))
		op.UseToken(strings.TrimSpace(string(b)))
		_, cerr := op.Cluster(ctx) // the token is applied, not only written
		return err == nil && cerr == nil
	})
	doc, err := inventory.Marshal(inventory.Reference(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.PutInventory(ctx, doc); err != nil {
		t.Fatal(err)
	}
	return op
}

// pushAs posts a batch named agent, with a powered poll of each device,
// through hc and hdr, and returns the status, the node that answered and
// the decoded report or problem.
func pushAs(ctx context.Context, t *testing.T, hc *http.Client, url, agent string, hdr http.Header, devices ...string) (int, string, api.IngestReport, api.Problem) {
	t.Helper()
	b := &api.Batch{Agent: agent, Seq: uint64(time.Now().UnixNano())}
	for _, d := range devices {
		b.Polls = append(b.Polls, collectors.Status{Device: d, At: time.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 3000}}})
	}
	body, err := api.EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/telemetry", bytes.NewReader(body))
	req.Header.Set("Content-Type", api.MediaCBOR)
	req.Header.Set("Content-Encoding", "gzip")
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var rep api.IngestReport
	var p api.Problem
	if res.Header.Get("Content-Type") == api.MediaProblem {
		_ = json.Unmarshal(raw, &p)
	} else {
		_ = json.Unmarshal(raw, &rep)
	}
	return res.StatusCode, res.Header.Get(api.HeaderNode), rep, p
}

// namesField says whether p is a 403 naming field.
func namesField(p api.Problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return p.Status == http.StatusForbidden
		}
	}
	return false
}

// agentClient is an agent's HTTPS client with a certificate named cn for
// halls.
func agentClient(t *testing.T, s *site, cn string, halls ...string) *http.Client {
	t.Helper()
	conf := tlsutil.NewConfig(s.pair(t, tlsutil.Request{Role: tlsutil.RoleAgent, Name: cn, Halls: halls}), s.pool, tlsutil.RoleController)
	hc := tlsutil.HTTPClient(conf, 10*time.Second)
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// TestAgentCertificatePushesOnlyUnderItsCommonName: over mutual TLS, an
// agent certificate for H1 named agent-h1 cannot push under the name of
// another agent (whose agent-down alerts it would silence): 403 naming the
// field agent, nothing taken; under its own name its H1 poll is taken.
func TestAgentCertificatePushesOnlyUnderItsCommonName(t *testing.T) {
	s := newSite(t)
	ctx := testContext(t)
	n := leaderTLS(t, s, true)
	withInventory(ctx, t, s, n)
	ag := agentClient(t, s, "agent-h1", "H1")
	status, _, rep, p := pushAs(ctx, t, ag, n.url, "agent-h2", nil, "H1-R01-K01-PA")
	if status != http.StatusForbidden || !namesField(p, "agent") || !strings.Contains(p.Detail, `"agent-h1"`) {
		t.Errorf("push named agent-h2 with agent-h1's certificate: got %d %+v %+v, want 403 naming field agent and the certificate's name", status, p, rep)
	}
	status, _, rep, p = pushAs(ctx, t, ag, n.url, "agent-h1", nil, "H1-R01-K01-PA")
	if status != http.StatusAccepted || rep.Accepted != 1 {
		t.Errorf("push under its own name: got %d %+v %+v, want 202 with the poll taken", status, rep, p)
	}
}

// TestFollowerForwardsAgentHallsAndNameInTheirOwnHeaders: an agent's push
// to a follower reaches the leader held to the halls and the name of the
// agent's certificate, which the follower sends in headers of their own.
func TestFollowerForwardsAgentHallsAndNameInTheirOwnHeaders(t *testing.T) {
	s := newSite(t)
	ctx := testContext(t)
	n1 := leaderTLS(t, s, true)
	op := withInventory(ctx, t, s, n1)
	n2 := startTLS(t, "n2", s.config(t, tlsutil.RoleController, "n2", tlsutil.RoleController), n1.url, true)
	waitFor(ctx, t, "n2 to join and apply the inventory", func() bool {
		st, err := op.Cluster(ctx)
		_, serr := n2.Site(ctx)
		return err == nil && len(st.Members) == 2 && serr == nil
	})
	ag := agentClient(t, s, "agent-h1", "H1")
	status, node, rep, p := pushAs(ctx, t, ag, n2.url, "agent-h1", nil, "H1-R01-K01-PA", "H2-R01-K01-PA")
	if status != http.StatusAccepted || node != "n1" || rep.Accepted != 1 || rep.RefusedPolls["unassigned"] != 1 {
		t.Errorf("H1 agent's push through follower n2: got %d from %q %+v %+v, want 202 from n1, H1's poll taken and H2's refused as unassigned", status, node, rep, p)
	}
	status, node, _, p = pushAs(ctx, t, ag, n2.url, "agent-h2", nil, "H1-R01-K01-PA")
	if status != http.StatusForbidden || node != "n1" || !namesField(p, "agent") {
		t.Errorf("push under another name through follower n2: got %d from %q %+v, want 403 from n1 naming field agent", status, node, p)
	}
}

// TestForwardedAgentWithoutReadableHallsIsRefused: the leader reads a
// forwarded agent's halls from their own header only. A forward without
// it, or with one that is not a JSON array, is refused (401), never taken
// as for every hall; halls written in the principal's name are not
// believed.
func TestForwardedAgentWithoutReadableHallsIsRefused(t *testing.T) {
	s := newSite(t)
	ctx := testContext(t)
	n := leaderTLS(t, s, true)
	withInventory(ctx, t, s, n)
	peer := tlsutil.HTTPClient(s.config(t, tlsutil.RoleController, "n9", tlsutil.RoleController), 10*time.Second)
	t.Cleanup(peer.CloseIdleConnections)
	fwd := func(halls ...string) http.Header {
		h := http.Header{}
		h.Set(api.HeaderForwarded, "n9")
		h.Set(api.HeaderPrincipal, "cert:agent-x (halls H1)|agent")
		h.Set(api.HeaderPrincipalAgent, "agent-x")
		if halls != nil {
			h[api.HeaderPrincipalHalls] = halls
		}
		return h
	}
	for name, h := range map[string]http.Header{
		"no halls header":           fwd(),
		"halls not a JSON array":    fwd("H1,H2"),
		"an empty hall":             fwd(`["H1",""]`),
		"two halls headers":         fwd(`["H1"]`, `[]`),
		"halls but no agent's name": func() http.Header { h := fwd(`["H1"]`); h.Del(api.HeaderPrincipalAgent); return h }(),
	} {
		status, _, rep, p := pushAs(ctx, t, peer, n.url, "agent-x", h, "H1-R01-K01-PA")
		if status != http.StatusUnauthorized || rep.Accepted != 0 {
			t.Errorf("%s: got %d %+v %+v, want 401 and nothing taken", name, status, rep, p)
		}
	}
	status, _, rep, p := pushAs(ctx, t, peer, n.url, "agent-x", fwd(`["H2"]`), "H1-R01-K01-PA")
	if status != http.StatusAccepted || rep.Accepted != 0 || rep.RefusedPolls["unassigned"] != 1 {
		t.Errorf("forwarded H2 agent named \"(halls H1)\": got %d %+v %+v, want H1's poll refused as unassigned", status, rep, p)
	}
}
