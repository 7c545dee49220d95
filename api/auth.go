package api

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// Role is what a token or a client certificate may do through the API.
type Role = wire.Role

// Token roles, and the role of a controller's certificate.
const (
	RoleViewer     = wire.RoleViewer
	RoleOperator   = wire.RoleOperator
	RolePlatform   = wire.RolePlatform
	RoleAdmin      = wire.RoleAdmin
	RoleAgent      = wire.RoleAgent
	RoleController = wire.RoleController
)

// Token describes an API token (never its secret).
type Token = wire.Token

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest = wire.TokenRequest

// NewToken answers POST /v1/tokens: the token and its secret, shown once.
type NewToken = wire.NewToken

// Authenticator is what the HTTP layer needs to tell who calls. A
// Controller that does not implement it is served to no one but
// NewServer's WithoutAuth.
type Authenticator interface {
	// AuthEnabled says whether every call must be authenticated (false
	// only for nodes configured so, in tests).
	AuthEnabled() bool
	// Token returns the token of an ID, revoked or not, with its Hash.
	Token(id string) (wire.Token, bool)
}

// Headers of a request a follower forwards to the leader for a caller it
// authenticated by certificate. The follower sets them (and removes any the
// caller sent) only on its own forwards; the leader believes them only of
// a controller's certificate, and with HeaderForwarded.
const (
	// HeaderPrincipal is who the follower authenticated: "who|role".
	HeaderPrincipal = "X-Dcplane-Principal"
	// HeaderPrincipalHalls is, for an agent, the halls its certificate
	// assigns, as a JSON array of names ([] for every hall): a header of
	// their own, never read back from the name, which a certificate's CN
	// could fake. A forwarded agent without it, or with one that is not
	// such an array, is refused.
	HeaderPrincipalHalls = "X-Dcplane-Principal-Halls"
	// HeaderPrincipalAgent is, for an agent, the name its telemetry must
	// carry (Principal.Agent).
	HeaderPrincipalAgent = "X-Dcplane-Principal-Agent"
)

// Problem types of authentication.
const (
	ProblemUnauthenticated = "urn:dcplane:problem:unauthenticated"
	ProblemForbidden       = "urn:dcplane:problem:forbidden"
)

// roleSet is the roles that may call a route.
type roleSet []Role

// Who may call what.
var (
	public    = roleSet{"*"} // no credentials needed
	readers   = roleSet{RoleViewer, RoleOperator, RolePlatform, RoleAdmin}
	operators = roleSet{RoleOperator, RoleAdmin}
	platform  = roleSet{RolePlatform, RoleAdmin}
	admins    = roleSet{RoleAdmin}
)

// access is THE table of who may call each route, by the pattern it is
// registered with. A route it lacks is refused to everyone (TestAccessTable
// fails for one). A controller's certificate reaches the routes between
// nodes; requests a follower forwards are judged by who sent them.
var access = map[string]roleSet{
	"GET /healthz": public,
	// Operational metrics, no secrets (issue 7.5): what Prometheus scrapes.
	"GET /metrics": public,

	"GET /v1/racks":           readers,
	"GET /v1/racks/{id}":      readers,
	"GET /v1/power":           readers,
	"GET /v1/inventory":       readers,
	"GET /v1/placements":      readers,
	"GET /v1/placements/{id}": readers,
	"GET /v1/alerts":          readers,
	"GET /v1/forecast":        readers,
	"GET /v1/servers":         readers,
	"GET /v1/cluster":         append(readers, RoleController),

	"POST /v1/alerts/{id}/ack":     operators,
	"POST /v1/alerts/{id}/silence": operators,
	"GET /v1/whatif/feed-off":      operators,
	"GET /v1/whatif/cooling-off":   operators,

	"POST /v1/placements":                platform,
	"DELETE /v1/placements/{id}":         platform,
	"POST /v1/reservations":              platform,
	"POST /v1/reservations/{id}/confirm": platform,
	"DELETE /v1/reservations/{id}":       platform,

	"PUT /v1/inventory":                    admins,
	"POST /v1/cluster/join":                {RoleAdmin, RoleController},
	"DELETE /v1/cluster/members/{id}":      admins,
	"POST /v1/cluster/transfer-leadership": admins,
	"GET /v1/cluster/snapshot":             admins,
	"PUT /v1/cluster/snapshot":             admins,
	"GET /v1/tokens":                       admins,
	"POST /v1/tokens":                      admins,
	"DELETE /v1/tokens/{id}":               admins,
	"GET /v1/audit":                        admins,

	"POST /v1/telemetry": {RoleAgent},

	// No route matched: the mux answers 404 or 405, to anyone
	// authenticated.
	"/": append(slices.Clone(readers), RoleAgent, RoleController),
	"":  append(slices.Clone(readers), RoleAgent, RoleController),
}

// AccessOf returns the roles that may call a route pattern ("*": anyone),
// none if the access table lacks it.
func AccessOf(pattern string) []Role { return slices.Clone(access[pattern]) }

// Principal is who a request was authenticated as.
type Principal struct {
	Who  string // "token:ID (name)", "cert:CN", "… via CN" when forwarded, or "anonymous"
	Role Role
	// Halls are the halls an agent may report telemetry for: its token's,
	// or its certificate's hall URIs (HallURIPrefix); none: every hall.
	Halls []string
	// Agent is the name an agent's telemetry must carry (Batch.Agent),
	// since the controller's agent-down alerting keys on it: its
	// certificate's CN; or its token's name when the token is restricted
	// to halls. An agent token for every hall is bound to no name (""):
	// it may report for every device anyway, and one token may serve
	// several agents (the demo's "demo-agent" token does).
	Agent string
}

// HallURIPrefix starts the URI SANs that assign an agent's certificate to
// halls, one each: "dcplane:hall:H1". An agent certificate without one may
// report for every hall.
const HallURIPrefix = tlsutil.HallURIPrefix

// hallsOf returns the halls a certificate's URI SANs assign.
func hallsOf(c *x509.Certificate) []string {
	var halls []string
	for _, u := range c.URIs {
		if h, ok := strings.CutPrefix(u.String(), HallURIPrefix); ok && h != "" {
			halls = append(halls, h)
		}
	}
	return halls
}

// certAgent is the principal of an agent's certificate: bound to its CN,
// held to its halls.
func certAgent(cn string, halls []string) Principal {
	return Principal{Who: "cert:" + cn, Role: RoleAgent, Halls: halls, Agent: cn}
}

// setForwardedPrincipal sets on out, a request this node forwards to the
// leader, who made r when it was authenticated by certificate: the leader
// judges the call by its caller, whom this node's certificate vouches for.
// A bearer token travels as it came, and the leader checks it itself. Any
// principal header the caller sent is removed first.
func setForwardedPrincipal(out http.Header, r *http.Request) {
	out.Del(HeaderPrincipal)
	out.Del(HeaderPrincipalHalls)
	out.Del(HeaderPrincipalAgent)
	p, ok := PrincipalOf(r.Context())
	if !ok || r.Header.Get("Authorization") != "" {
		return
	}
	out.Set(HeaderPrincipal, p.Who+"|"+string(p.Role))
	if p.Role == RoleAgent {
		halls, _ := json.Marshal(nonNil(p.Halls))
		out.Set(HeaderPrincipalHalls, string(halls))
		out.Set(HeaderPrincipalAgent, p.Agent)
	}
}

// forwardedPrincipal reads the principal a follower vouches for on r, a
// request from a controller's certificate cn. An agent's halls and name
// come from their own headers; why says what is wrong when they cannot be
// read, and the call is then refused, never taken as for every hall.
func forwardedPrincipal(r *http.Request, cn string) (p Principal, why string) {
	who, role, _ := strings.Cut(r.Header.Get(HeaderPrincipal), "|")
	p = Principal{Who: who + " via " + cn, Role: Role(role)}
	if p.Role != RoleAgent {
		return p, ""
	}
	var halls []string
	h := r.Header.Values(HeaderPrincipalHalls)
	if len(h) != 1 || json.Unmarshal([]byte(h[0]), &halls) != nil || halls == nil || slices.Contains(halls, "") {
		return Principal{}, fmt.Sprintf("the agent %s forwarded by %s comes without halls that can be read (%s: want one JSON array of hall names)", who, cn, HeaderPrincipalHalls)
	}
	a := r.Header.Values(HeaderPrincipalAgent)
	if len(a) != 1 || a[0] == "" {
		return Principal{}, fmt.Sprintf("the agent %s forwarded by %s comes without the name it is bound to (%s)", who, cn, HeaderPrincipalAgent)
	}
	if len(halls) > 0 {
		p.Halls = halls
	}
	p.Agent = a[0]
	return p, ""
}

type principalKey struct{}

// PrincipalOf returns who the request's call was authenticated as.
func PrincipalOf(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authorize authenticates r and checks that its role may call pattern. It
// returns the request to serve, with its Principal, or answers 401 or 403
// and returns nil.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, pattern string) *http.Request {
	allowed, known := access[pattern]
	if known && slices.Equal(allowed, public) {
		return r
	}
	// Every refusal is logged (rate-limited) and counted (refuse).
	var p Principal
	switch {
	case s.noAuth:
		p = Principal{Who: "anonymous", Role: RoleAdmin}
	case s.auth == nil:
		s.refuse(w, r, pattern, "", denyNoAuthenticator, &Problem{Type: ProblemUnauthenticated, Title: "Unauthenticated", Status: http.StatusUnauthorized,
			Detail: "this server has no way to authenticate callers, and serves no one"})
		return nil
	default:
		var reason, why string
		if p, reason, why = s.authenticate(r); why != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dcplane"`)
			s.refuse(w, r, pattern, "", reason, &Problem{Type: ProblemUnauthenticated, Title: "Unauthenticated", Status: http.StatusUnauthorized, Detail: why})
			return nil
		}
		if !slices.Contains(allowed, p.Role) {
			s.refuse(w, r, pattern, p.Who, denyRole, &Problem{Type: ProblemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
				Detail: forbidden(pattern, p, allowed, known)})
			return nil
		}
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

// forbidden says why p may not call pattern, naming the roles that may.
func forbidden(pattern string, p Principal, allowed roleSet, known bool) string {
	if !known {
		return fmt.Sprintf("%s is in no role's reach (the API's access table lacks it)", pattern)
	}
	names := make([]string, len(allowed))
	for i, r := range allowed {
		names[i] = string(r)
	}
	return fmt.Sprintf("%s needs the role %s; %s has the role %s", pattern, strings.Join(names, " or "), p.Who, p.Role)
}

// authenticate finds who r comes from: a bearer token if it carries one,
// else a verified client certificate (through a follower that forwards,
// the one the follower vouches for). why says what is wrong when none,
// and reason names it among the deny* reasons.
func (s *Server) authenticate(r *http.Request) (p Principal, reason, why string) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return p, denyNotBearer, "the Authorization header is not a bearer token"
		}
		p, why = s.tokenPrincipal(strings.TrimSpace(secret))
		if why == "" {
			return p, "", ""
		}
		if strings.HasPrefix(why, revokedPrefix) {
			return p, denyRevokedToken, why
		}
		return p, denyUnknownToken, why
	}
	role, err := tlsutil.PeerRole(r.TLS)
	if err != nil {
		return p, denyNoCredentials, "no credentials: send Authorization: Bearer TOKEN (dcplane reads DCPLANE_TOKEN or --token-file), or a client certificate of the site CA"
	}
	leaf := r.TLS.VerifiedChains[0][0]
	cn := leaf.Subject.CommonName
	switch Role(role) {
	case RoleAgent:
		return certAgent(cn, hallsOf(leaf)), "", ""
	case Role(tlsutil.RoleOperator):
		// A person's certificate acts as the operator role; what more
		// they may do takes a token of a role that may.
		return Principal{Who: "cert:" + cn, Role: RoleOperator}, "", ""
	case RoleController:
		if r.Header.Get(HeaderPrincipal) != "" && r.Header.Get(HeaderForwarded) != "" {
			if p, why = forwardedPrincipal(r, cn); why != "" {
				return p, denyForwardedAgent, why
			}
			return p, "", ""
		}
		return Principal{Who: "cert:" + cn, Role: RoleController}, "", ""
	}
	return p, denyUnknownCertRole, fmt.Sprintf("the certificate of %q has the role %q, which the API does not know", cn, role)
}

// tokenPrincipal checks a bearer token against the state's hash of it,
// or finds it among the tokens checked in the last tokenCacheTTL: then
// without hashing it, but still against the token as the state holds it
// now, so that a revocation stops it at once on every node that applies
// the revocation.
func (s *Server) tokenPrincipal(secret string) (p Principal, why string) {
	id := wire.TokenID(secret)
	tok, ok := Token{}, false
	if id != "" {
		tok, ok = s.auth.Token(id)
	}
	if ok && !tok.Revoked {
		if p, hit := checked.get(secret, tok, time.Now()); hit {
			return p, ""
		}
	}
	// The hashes are compared in constant time: how long the compare takes
	// says nothing of how much of a guess was right.
	if !ok || subtle.ConstantTimeCompare([]byte(wire.HashToken(secret)), []byte(tok.Hash)) != 1 {
		return Principal{}, "the bearer token is not one of this cluster's"
	}
	if tok.Revoked {
		return Principal{}, fmt.Sprintf(revokedPrefix+"%s (%s) was revoked at %s by %s", tok.ID, tok.Name, tok.RevokedAt.Format("2006-01-02T15:04:05Z07:00"), tok.RevokedBy)
	}
	defer func() { checked.put(secret, tok, p, time.Now()) }()
	return Principal{Who: fmt.Sprintf("token:%s (%s)", tok.ID, tok.Name), Agent: boundAgent(tok), Role: tok.Role, Halls: tok.Halls}, ""
}

// forwardUnknownToken sends a call whose bearer token this follower does
// not know to the leader, which judges it, and returns true; false when
// it did not (no token, a token this node knows, no follower, no leader
// known, or a call already forwarded). A token is created on the leader
// and replicated after: a client that creates one and at once calls a
// follower would otherwise be told its token is not the cluster's. A call
// the leader refuses as unauthenticated counts against its address here
// too, so that guesses sent through a follower meet its Guesses limit.
func (s *Server) forwardUnknownToken(w http.ResponseWriter, r *http.Request) bool {
	if s.router == nil || s.auth == nil || s.noAuth || r.Header.Get(HeaderForwarded) != "" {
		return false
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	id := wire.TokenID(strings.TrimSpace(secret))
	if id == "" {
		return false
	}
	if _, known := s.auth.Token(id); known {
		return false
	}
	self, leaderURL := s.router.Leader()
	if self || leaderURL == "" {
		return false
	}
	sw := &statusOf{ResponseWriter: w}
	s.forward(sw, r, leaderURL)
	if sw.status == http.StatusUnauthorized {
		s.guessed(r)
	}
	return true
}

// boundAgent is the agent name a token binds its telemetry to: its own
// name when it is an agent's restricted to halls, else none (see
// Principal.Agent).
func boundAgent(tok Token) string {
	if tok.Role == RoleAgent && len(tok.Halls) > 0 {
		return tok.Name
	}
	return ""
}

// revokedPrefix starts what tokenPrincipal says of a revoked token, and of
// nothing else: authenticate tells revocations apart by it.
const revokedPrefix = "token "

// Bounds of the tokens remembered as checked.
const (
	// tokenCacheTTL is how long a checked token is taken without its
	// SHA-256 (2 % of a placement's CPU through the API when hashed on
	// every call). A revocation does not wait for it: every hit is checked
	// against the token as the state holds it at that moment.
	tokenCacheTTL = 5 * time.Second
	// tokenCacheSize bounds the entries: more tokens than a site's
	// agents and platform teams use at once. Only secrets that matched
	// their token's hash are kept, so guesses cannot fill it.
	tokenCacheSize = 1024
)

// checked is the tokens this process's API servers checked lately: one
// for the process, so that Server keeps no field of it. An entry holds
// what made its principal (the token's ID, name, role, halls and hash),
// and answers only while the token the asking server's state holds is
// the same and not revoked: a secret matches one hash, so two clusters
// cannot share an entry unless they hold the same token.
var checked = tokenCache{entries: map[string]tokenEntry{}}

// tokenCache remembers, by the secret itself (in memory only: never
// logged, never sent), the principal of each token lately checked. A
// lookup by the secret costs a map's hash of it, not a SHA-256; a Go map
// finds a key by a keyed, seeded hash before it compares any of its
// bytes, so its timing tells a guesser nothing of a secret.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry
}

type tokenEntry struct {
	tok     Token // as checked
	p       Principal
	expires time.Time
}

// get returns the principal of secret if it was checked against tok as
// the state holds it now, and has not expired at now. tok is not revoked.
func (c *tokenCache) get(secret string, tok Token, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[secret]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) || e.tok.Hash != tok.Hash || e.tok.ID != tok.ID || e.tok.Name != tok.Name ||
		e.tok.Role != tok.Role || !slices.Equal(e.tok.Halls, tok.Halls) {
		return Principal{}, false
	}
	return e.p, true
}

// put remembers that secret was checked against tok, as p, at now. When
// the cache is full it first drops what has expired, then, if it must,
// any entries until there is room.
func (c *tokenCache) put(secret string, tok Token, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[secret]; !ok && len(c.entries) >= tokenCacheSize {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < tokenCacheSize {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[secret] = tokenEntry{tok: tok, p: p, expires: now.Add(tokenCacheTTL)}
}
