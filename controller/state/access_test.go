package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

func hashOf(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func createToken(id string, role wire.Role) CreateToken {
	return CreateToken{Token: wire.Token{ID: id, Name: "n-" + id, Role: role, CreatedBy: "bootstrap"}, Hash: hashOf(id), At: t0}
}

func TestCreateToken(t *testing.T) {
	tests := []struct {
		name    string
		before  []Command
		cmd     CreateToken
		wantErr error
	}{
		{"a viewer", nil, createToken("a", wire.RoleViewer), nil},
		{"an agent", nil, createToken("a", wire.RoleAgent), nil},
		{"a controller is a certificate's role, not a token's", nil, createToken("a", wire.RoleController), ErrInvalidToken},
		{"an unknown role", nil, createToken("a", "root"), ErrInvalidToken},
		{"an ID taken", []Command{createToken("a", wire.RoleAdmin)}, createToken("a", wire.RoleViewer), ErrDuplicateToken},
		{"no name", nil, func() CreateToken { c := createToken("a", wire.RoleViewer); c.Token.Name = ""; return c }(), ErrMalformedCommand},
		{"a short hash", nil, func() CreateToken { c := createToken("a", wire.RoleViewer); c.Hash = "abcd"; return c }(), ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			mustApply(t, m, tt.before...)
			v, err := m.Apply(m.View().Index()+1, tt.cmd)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			got, ok := v.Token(tt.cmd.Token.ID)
			if tt.wantErr == nil && (!ok || got.Hash != tt.cmd.Hash || got.Role != tt.cmd.Token.Role || got.Revoked) {
				t.Errorf("token: got %+v, %v, want it with its hash and role, not revoked", got, ok)
			}
		})
	}
}

func TestRevokeToken(t *testing.T) {
	m := New()
	mustApply(t, m, createToken("a", wire.RoleAdmin), createToken("b", wire.RoleViewer),
		RevokeToken{ID: "a", By: "token:b", At: t0.Add(time.Minute)})
	a, _ := m.View().Token("a")
	if !a.Revoked || a.RevokedBy != "token:b" || !a.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("a: got %+v, want revoked by token:b at t0+1m", a)
	}
	if b, _ := m.View().Token("b"); b.Revoked {
		t.Errorf("b: got revoked, want it untouched")
	}
	if _, err := m.Apply(m.View().Index()+1, RevokeToken{ID: "a", By: "x", At: t0.Add(time.Hour)}); err != nil {
		t.Errorf("revoke again: got %v, want nil", err)
	}
	if a, _ := m.View().Token("a"); a.RevokedBy != "token:b" {
		t.Errorf("revoke again: got revoked by %q, want the first revocation kept", a.RevokedBy)
	}
	if _, err := m.Apply(m.View().Index()+1, RevokeToken{ID: "zz", At: t0}); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("revoke an unknown token: got %v, want %v", err, ErrUnknownToken)
	}
}

func auditOf(n int, from int) RecordAudit {
	c := RecordAudit{At: t0}
	for i := range n {
		c.Records = append(c.Records, wire.AuditRecord{At: t0, Who: "token:a", Method: "PUT", Path: fmt.Sprintf("/v1/x/%d", from+i), Status: 200})
	}
	return c
}

func TestRecordAuditNumbersAndKeepsTheNewest(t *testing.T) {
	m := New()
	mustApply(t, m, auditOf(3, 0))
	old := m.View()
	mustApply(t, m, auditOf(AuditRetention, 3))
	got := m.View().Audit()
	if len(got) != AuditRetention {
		t.Fatalf("records: got %d, want %d", len(got), AuditRetention)
	}
	if first, last := got[0], got[len(got)-1]; first.Seq != 4 || first.Path != "/v1/x/3" || last.Seq != AuditRetention+3 {
		t.Errorf("kept: got seq %d (%s) to %d, want 4 (/v1/x/3) to %d", first.Seq, first.Path, last.Seq, AuditRetention+3)
	}
	if o := old.Audit(); len(o) != 3 || o[2].Seq != 3 || o[2].Path != "/v1/x/2" {
		t.Errorf("an older view: got %d records, last %+v, want 3 unchanged", len(o), o[len(o)-1])
	}
	if _, err := m.Apply(m.View().Index()+1, RecordAudit{At: t0}); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("no records: got %v, want %v", err, ErrMalformedCommand)
	}
}

func TestSnapshotKeepsTokensAndAudit(t *testing.T) {
	m := New()
	mustApply(t, m, createToken("a", wire.RoleAdmin), RevokeToken{ID: "a", By: "me", At: t0}, auditOf(2, 0))
	var snap bytes.Buffer
	if _, err := m.View().WriteTo(&snap); err != nil {
		t.Fatal(err)
	}
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(snap.Bytes(), &head); err != nil || head.Format != formatBeforeHalls {
		t.Errorf("format: got %d, %v, want %d", head.Format, err, formatBeforeHalls)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	tok, ok := r.View().Token("a")
	if !ok || tok.Hash != hashOf("a") || !tok.Revoked {
		t.Errorf("restored token: got %+v, %v, want its hash, revoked", tok, ok)
	}
	mustApply(t, r, auditOf(1, 9))
	if a := r.View().Audit(); len(a) != 3 || a[2].Seq != 3 {
		t.Errorf("restored audit: got %+v, want 3 records numbered on from 2", a)
	}
	mustApply(t, m, auditOf(1, 9))
	h1, _ := m.View().Hash()
	if h2, _ := r.View().Hash(); h1 != h2 {
		t.Errorf("hash: got %s restored, %s applied, want equal", h2, h1)
	}
}

// TestNewSiteKeepsTokensAndAudit: a new inventory changes neither who may
// call the API nor what was called.
func TestNewSiteKeepsTokensAndAudit(t *testing.T) {
	m := New()
	mustApply(t, m, createToken("a", wire.RoleAdmin), auditOf(1, 0), PutSite{Site: inventory.Reference(4), At: t0})
	if _, ok := m.View().Token("a"); !ok || len(m.View().Audit()) != 1 {
		t.Errorf("after a new site: got token %v and %d records, want the token and 1 record kept", ok, len(m.View().Audit()))
	}
}
