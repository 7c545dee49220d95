package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dcplane/dcplane/controller/wire"
)

// TokenManager is what the HTTP layer needs for /v1/tokens.
type TokenManager interface {
	// CreateToken makes a token and returns it with its secret; by names
	// who asked.
	CreateToken(ctx context.Context, req wire.TokenRequest, by string) (wire.NewToken, error)
	// RevokeToken revokes a token; wire.ErrUnknownToken if none has the ID.
	RevokeToken(ctx context.Context, id, by string) error
	// Tokens lists every token, without secrets or hashes.
	Tokens(ctx context.Context) ([]wire.Token, error)
}

// TokenList answers GET /v1/tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// ErrUnknownToken is returned for a token ID no token has.
var ErrUnknownToken = wire.ErrUnknownToken

func (s *Server) routeTokens(m TokenManager) {
	s.mux.HandleFunc("GET /v1/tokens", s.local(func(w http.ResponseWriter, r *http.Request) {
		ts, err := m.Tokens(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.json(w, http.StatusOK, TokenList{Tokens: nonNil(ts)})
	}))
	s.mux.HandleFunc("POST /v1/tokens", s.leader(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.body(w, r, 64<<10, MediaJSON)
		if !ok {
			return
		}
		var req TokenRequest
		if field, detail := decodeStrict(body, &req); field != "" {
			s.invalid(w, r, field, detail)
			return
		}
		switch {
		case req.Name == "":
			s.invalid(w, r, "name", "is required: who or what the token is for")
			return
		case !wire.ValidTokenRole(req.Role):
			s.invalid(w, r, "role", "want viewer, operator, platform, admin or agent")
			return
		}
		p, _ := PrincipalOf(r.Context())
		t, err := m.CreateToken(r.Context(), req, p.Who)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		s.json(w, http.StatusCreated, t)
	}))
	s.mux.HandleFunc("DELETE /v1/tokens/{id}", s.leader(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalOf(r.Context())
		if err := m.RevokeToken(r.Context(), r.PathValue("id"), p.Who); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}

// CreateToken makes a token; its Secret is shown this once.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (*NewToken, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: encode token request: %w", err)
	}
	var out NewToken
	return &out, c.do(ctx, http.MethodPost, "/v1/tokens", MediaJSON, body, &out)
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(id), "", nil, nil)
}

// Tokens lists the tokens, never their secrets.
func (c *Client) Tokens(ctx context.Context) (*TokenList, error) {
	var out TokenList
	return &out, c.do(ctx, http.MethodGet, "/v1/tokens", "", nil, &out)
}
