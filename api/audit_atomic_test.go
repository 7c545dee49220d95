package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

// placeNode is a leader with the reference site of four racks and a
// platform team's token.
func placeNode(t *testing.T) (*authNode, *api.Client, *api.Client, api.NewToken) {
	t.Helper()
	a := startAuthNode(t, "a1", "", "", nil)
	ctx := context.Background()
	admin := client(t, a.url, a.admin)
	doc, _ := inventory.Marshal(inventory.Reference(4))
	if _, err := admin.PutInventory(ctx, doc); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CreateToken(ctx, api.TokenRequest{Name: "team", Role: api.RolePlatform})
	if err != nil {
		t.Fatal(err)
	}
	return a, admin, client(t, a.url, tok.Secret), *tok
}

func smallRequest(name string) *api.PlacementRequest {
	return &api.PlacementRequest{Name: name, Replicas: 1, CPUMillicores: 500, MemoryMiB: 512, Watts: 200, Spread: "server"}
}

// recordsOf returns the audit records of paths starting with path.
func recordsOf(t *testing.T, admin *api.Client, path string) []api.AuditRecord {
	t.Helper()
	l, err := admin.Audit(context.Background(), api.AuditFilter{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return l.Records
}

// index returns the node's applied log index.
func index(a *authNode) uint64 {
	i, _ := a.n.Freshness()
	return i
}

// TestPlacementIsOneEntryWithItsRecord: a placement and its audit record
// are committed in one Raft entry (the log advances by one), and the
// record says who placed what and what it got; so is its removal.
func TestPlacementIsOneEntryWithItsRecord(t *testing.T) {
	a, admin, team, tok := placeNode(t)
	ctx := context.Background()
	before := index(a)
	p, err := team.Place(ctx, smallRequest("portal"), api.PlaceOptions{Key: "k-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := index(a); got != before+1 {
		t.Errorf("log index: got %d after the placement, want %d: one entry for the placement and its record", got, before+1)
	}
	recs := recordsOf(t, admin, "/v1/placements")
	if len(recs) != 1 {
		t.Fatalf("records: got %+v, want the placement's alone", recs)
	}
	r := recs[0]
	if !strings.Contains(r.Who, tok.ID) || r.Role != api.RolePlatform || r.Method != "POST" || r.Status != 201 ||
		r.Node != "a1" || !strings.Contains(r.Input, `"portal"`) || !strings.Contains(r.Result, "placed "+p.ID) {
		t.Errorf("record: got %+v, want the team's POST, 201, its input, and the outcome naming %s", r, p.ID)
	}
	before = index(a)
	if err := team.RemovePlacement(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if got := index(a); got != before+1 {
		t.Errorf("log index: got %d after the removal, want %d", got, before+1)
	}
	recs = recordsOf(t, admin, "/v1/placements/"+p.ID)
	if len(recs) != 1 || recs[0].Method != "DELETE" || recs[0].Status != 204 || !strings.Contains(recs[0].Result, "removed "+p.ID) {
		t.Errorf("removal's records: got %+v, want one DELETE, 204, removed %s", recs, p.ID)
	}
}

// TestCallsWithoutACommandAreStillRecorded: a dry run, a replayed key and
// a malformed request commit no command, and a removal the state refuses
// commits one that changes nothing; each is recorded by itself, once,
// with the answer it got.
func TestCallsWithoutACommandAreStillRecorded(t *testing.T) {
	a, admin, team, _ := placeNode(t)
	ctx := context.Background()
	if _, err := team.Place(ctx, smallRequest("a"), api.PlaceOptions{Key: "k-a"}); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name    string
		call    func() error
		status  int
		entries uint64 // the log entries the call adds
	}{
		{"dry run", func() error {
			_, err := team.Place(ctx, smallRequest("b"), api.PlaceOptions{DryRun: true})
			return err
		}, 200, 1},
		{"replayed key", func() error {
			_, err := team.Place(ctx, smallRequest("a"), api.PlaceOptions{Key: "k-a"})
			return err
		}, 201, 1},
		{"zero replicas", func() error {
			r := smallRequest("c")
			r.Replicas = 0
			_, err := team.Place(ctx, r, api.PlaceOptions{})
			return err
		}, 422, 1},
		{"an unknown placement removed", func() error { return team.RemovePlacement(ctx, "pl-0000000000000000") }, 404, 2},
	}
	for _, c := range calls {
		before, n := index(a), len(recordsOf(t, admin, "/v1/"))
		err := c.call()
		var prob *api.Problem
		if c.status >= 400 && (!errors.As(err, &prob) || prob.Status != c.status) || c.status < 400 && err != nil {
			t.Fatalf("%s: got %v, want status %d", c.name, err, c.status)
		}
		recs := recordsOf(t, admin, "/v1/")
		if len(recs) != n+1 || recs[len(recs)-1].Status != c.status {
			t.Errorf("%s: got records %+v, want one more, of status %d", c.name, recs[n:], c.status)
		}
		if got := index(a); got != before+c.entries {
			t.Errorf("%s: log index: got %d, want %d", c.name, got, before+c.entries)
		}
	}
}

// TestForwardedPlacementIsRecordedOnce: a placement sent to a follower is
// served by the leader, which commits it with its record: one record, of
// the leader, naming the caller.
func TestForwardedPlacementIsRecordedOnce(t *testing.T) {
	a, admin, _, tok := placeNode(t)
	b := startAuthNode(t, "a2", a.url, a.admin, nil)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := admin.Cluster(ctx)
		if err == nil && len(st.Members) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a2 never joined: %v, %+v", err, st)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	var p *api.Placement
	for {
		var err error
		p, err = client(t, b.url, tok.Secret).Place(ctx, smallRequest("via-b"), api.PlaceOptions{Key: "k-b"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("place through the follower: got %v, want a placement", err)
		}
		time.Sleep(50 * time.Millisecond) // the follower catching up; bounded by the deadline
	}
	var recs []api.AuditRecord
	for _, r := range recordsOf(t, admin, "/v1/placements") {
		if strings.Contains(r.Input, "via-b") {
			recs = append(recs, r)
		}
	}
	if len(recs) != 1 || recs[0].Node != "a1" || !strings.Contains(recs[0].Who, tok.ID) || !strings.Contains(recs[0].Result, p.ID) {
		t.Errorf("records: got %+v, want one, of the leader a1, naming the team's token and %s", recs, p.ID)
	}
}

// TestRevokedTokenStopsAtOnce: a token checked a moment ago (and so
// remembered) stops working as soon as its revocation is applied, on the
// leader and on a follower, without waiting for the memory to expire.
func TestRevokedTokenStopsAtOnce(t *testing.T) {
	a, admin, team, tok := placeNode(t)
	b := startAuthNode(t, "a2", a.url, a.admin, nil)
	ctx := context.Background()
	follower := client(t, b.url, tok.Secret)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := follower.Placements(ctx, "")
		_, errLeader := team.Placements(ctx, "")
		if err == nil && errLeader == nil {
			break // checked, and so remembered, on both
		}
		if time.Now().After(deadline) {
			t.Fatalf("the team's token on the follower: got %v, leader %v, want it taken", err, errLeader)
		}
		time.Sleep(50 * time.Millisecond) // the follower joining and catching up; bounded
	}
	if err := admin.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	var prob *api.Problem
	if _, err := team.Placements(ctx, ""); !errors.As(err, &prob) || prob.Status != 401 || !strings.Contains(prob.Detail, "revoked") {
		t.Errorf("on the leader, right after the revocation: got %v, want 401 revoked", err)
	}
	leaderIndex := index(a)
	for index(b) < leaderIndex {
		if time.Now().After(deadline) {
			t.Fatalf("the follower never applied index %d", leaderIndex)
		}
		time.Sleep(10 * time.Millisecond) // the follower applying the revocation; bounded
	}
	if _, err := follower.Placements(ctx, ""); !errors.As(err, &prob) || prob.Status != 401 || !strings.Contains(prob.Detail, "revoked") {
		t.Errorf("on the follower, once it applied the revocation: got %v, want 401 revoked", err)
	}
}
