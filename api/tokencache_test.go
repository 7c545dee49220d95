package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// TestTokenCache: a remembered token answers only while it has not
// expired and the state's token is the one checked; the cache never holds
// more than its bound.
func TestTokenCache(t *testing.T) {
	c := tokenCache{entries: map[string]tokenEntry{}}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tok := Token{ID: "ab12", Name: "team", Role: RolePlatform, Hash: wire.HashToken("dcp_ab12_s")}
	p := Principal{Who: "token:ab12 (team)", Role: RolePlatform}
	c.put("dcp_ab12_s", tok, p, now)
	other := tok
	other.Hash = wire.HashToken("dcp_ab12_t")
	agent := tok
	agent.Role = RoleAgent
	tests := []struct {
		name   string
		secret string
		tok    Token
		at     time.Time
		hit    bool
	}{
		{"checked a moment ago", "dcp_ab12_s", tok, now.Add(tokenCacheTTL - time.Millisecond), true},
		{"expired", "dcp_ab12_s", tok, now.Add(tokenCacheTTL), false},
		{"the state's token has another hash", "dcp_ab12_s", other, now, false},
		{"the state's token has another role", "dcp_ab12_s", agent, now, false},
		{"another secret", "dcp_ab12_t", other, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hit := c.get(tt.secret, tt.tok, tt.at)
			if hit != tt.hit || hit && got.Who != p.Who {
				t.Errorf("got %+v, %v, want hit %v", got, hit, tt.hit)
			}
		})
	}
	for i := range tokenCacheSize + 100 {
		c.put(fmt.Sprintf("dcp_%d_s", i), tok, p, now)
	}
	if n := len(c.entries); n > tokenCacheSize {
		t.Errorf("entries: got %d, want at most %d", n, tokenCacheSize)
	}
	if _, hit := c.get("dcp_1123_s", tok, now); !hit {
		t.Errorf("the newest entry: got no hit, want it kept")
	}
}

// oneToken authenticates one token.
type oneToken struct{ tok Token }

func (o oneToken) AuthEnabled() bool { return true }
func (o oneToken) Token(id string) (Token, bool) {
	return o.tok, id == o.tok.ID
}

// BenchmarkTokenPrincipal: a token's check with its SHA-256 (memory off:
// each secret once) and from the memory of checked tokens.
func BenchmarkTokenPrincipal(b *testing.B) {
	const secret = "dcp_ab12cd34ef56_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	s := &Server{auth: oneToken{Token{ID: "ab12cd34ef56", Name: "team", Role: RolePlatform, Hash: wire.HashToken(secret)}}}
	b.Run("hashed", func(b *testing.B) {
		for b.Loop() {
			checked.mu.Lock()
			delete(checked.entries, secret)
			checked.mu.Unlock()
			if _, why := s.tokenPrincipal(secret); why != "" {
				b.Fatal(why)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, why := s.tokenPrincipal(secret); why != "" {
				b.Fatal(why)
			}
		}
	})
}
