package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/dcplane/dcplane/controller/wire"
)

func agentToken(id string, halls ...string) CreateToken {
	c := createToken(id, wire.RoleAgent)
	c.Token.Halls = halls
	return c
}

// TestTokenHallsAreAnAgentsOnly: halls are kept on an agent's token and
// refused on any other, or when one is empty.
func TestTokenHallsAreAnAgentsOnly(t *testing.T) {
	tests := []struct {
		name    string
		cmd     CreateToken
		wantErr error
	}{
		{"an agent of two halls", agentToken("a", "H1", "H2"), nil},
		{"a viewer with halls", func() CreateToken { c := createToken("a", wire.RoleViewer); c.Token.Halls = []string{"H1"}; return c }(), ErrInvalidToken},
		{"an empty hall", agentToken("a", "H1", ""), ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			v, err := m.Apply(1, tt.cmd)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if got, _ := v.Token("a"); tt.wantErr == nil && !slices.Equal(got.Halls, tt.cmd.Token.Halls) {
				t.Errorf("halls: got %v, want %v", got.Halls, tt.cmd.Token.Halls)
			}
		})
	}
}

// TestCreateTokenWithHallsIsVersion2: a token with halls is written as
// body version 2, which a version-1 reader refuses rather than letting the
// agent report for every hall; one without stays version 1, which it
// reads. Both decode back to what was encoded.
func TestCreateTokenWithHallsIsVersion2(t *testing.T) {
	for _, tt := range []struct {
		cmd  CreateToken
		want uint8
	}{{agentToken("a"), 1}, {agentToken("a", "H1"), 2}} {
		b, err := Encode(tt.cmd)
		if err != nil {
			t.Fatal(err)
		}
		if b[1] != tt.want {
			t.Errorf("halls %v: version got %d, want %d", tt.cmd.Token.Halls, b[1], tt.want)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if g := got.(CreateToken); !slices.Equal(g.Token.Halls, tt.cmd.Token.Halls) {
			t.Errorf("decoded halls: got %v, want %v", g.Token.Halls, tt.cmd.Token.Halls)
		}
	}
}

// TestSnapshotWithHallsIsFormat5: a snapshot holding a token with halls
// is format 5 (a format-4 reader would drop them), and keeps them.
func TestSnapshotWithHallsIsFormat5(t *testing.T) {
	m := New()
	mustApply(t, m, agentToken("a", "H1"))
	var snap bytes.Buffer
	if _, err := m.View().WriteTo(&snap); err != nil {
		t.Fatal(err)
	}
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(snap.Bytes(), &head); err != nil || head.Format != snapshotFormat {
		t.Errorf("format: got %d, %v, want %d", head.Format, err, snapshotFormat)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	if tok, _ := r.View().Token("a"); !slices.Equal(tok.Halls, []string{"H1"}) {
		t.Errorf("restored halls: got %v, want [H1]", tok.Halls)
	}
}
