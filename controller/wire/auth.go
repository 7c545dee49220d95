package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Role is what a token or a client certificate may do through the API.
type Role string

// The roles of tokens. Each names what it adds; the API's access table
// (api/auth.go) says which roles may call each route.
const (
	// RoleViewer reads: racks, power, inventory, placements, alerts.
	RoleViewer Role = "viewer"
	// RoleOperator reads, acknowledges and silences alerts, asks what-if.
	RoleOperator Role = "operator"
	// RolePlatform reads, places workloads and holds reservations.
	RolePlatform Role = "platform"
	// RoleAdmin does everything people do: inventory, budgets, cluster
	// membership, tokens, the audit trail.
	RoleAdmin Role = "admin"
	// RoleAgent pushes telemetry and nothing else: the token of an agent
	// run without a client certificate.
	RoleAgent Role = "agent"
	// RoleController is the role of a controller's certificate (never of
	// a token): the routes between nodes (join, cluster status).
	RoleController Role = "controller"
)

// TokenRoles are the roles a token may have, in the order of their power.
var TokenRoles = []Role{RoleViewer, RoleOperator, RolePlatform, RoleAdmin, RoleAgent}

// ValidTokenRole says whether r is a role a token may have.
func ValidTokenRole(r Role) bool {
	for _, t := range TokenRoles {
		if t == r {
			return true
		}
	}
	return false
}

// Token describes an API token. Its secret is shown once, when it is
// created, and never stored: the state keeps its SHA-256 (Hash), which no
// answer of the API carries.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Halls are the halls an agent's token may report telemetry for;
	// empty: every hall. Only agent tokens have them.
	Halls     []string  `json:"halls,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked,omitempty"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Hash is the hex SHA-256 of the secret; never sent.
	Hash string `json:"-"`
}

// TokenRequest is POST /v1/tokens: a new token's name, role and, for an
// agent's, the halls it may report for (none: every hall).
type TokenRequest struct {
	Name  string   `json:"name"`
	Role  Role     `json:"role"`
	Halls []string `json:"halls,omitempty"`
}

// NewToken answers POST /v1/tokens: the token and, this once, its secret
// (the bearer credential: "dcp_" ID "_" secret).
type NewToken struct {
	Token
	Secret string `json:"secret"`
}

// AuditRecord is one entry of the audit trail: a call that changed, or
// tried to change, the state, with who made it, when, what it asked and
// what it got.
type AuditRecord struct {
	Seq    uint64    `json:"seq"` // assigned by the state: increases by one a record
	At     time.Time `json:"at"`
	Who    string    `json:"who"`  // "token:ID (name)", "cert:CN" or "anonymous" (auth off)
	Role   Role      `json:"role"` // the role it acted as
	Node   string    `json:"node"` // the node that served the call
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Input  string    `json:"input,omitempty"` // the request body, cut at a few KiB; secrets never
	Status int       `json:"status"`
	// Result is the answer's body, cut likewise, for a record the API
	// writes apart from the call's change (state.RecordAudit). For a
	// record carried in the same Raft entry as the call's command
	// (CallAudit, state.Audited) it is the state's outcome of that
	// command, which every replica computes alike, since the answer's body
	// does not exist yet when the entry is committed.
	Result string `json:"result,omitempty"`
}

// AuditFilter narrows the audit trail; zero fields match everything.
type AuditFilter struct {
	Who    string    // substring of Who
	Path   string    // prefix of Path
	Method string    // exact
	Since  time.Time // At at or after
	Limit  int       // the newest Limit records; 0: all kept
}

// TokenPrefix starts every token's secret: "dcp_" ID "_" random. The ID
// in it lets the API find the token's hash without comparing it to all.
const TokenPrefix = "dcp_"

// HashToken is the hex SHA-256 of a token's secret, as the state keeps it.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// TokenID is the ID a secret names, or "" if it is not one of TokenPrefix.
func TokenID(secret string) string {
	rest, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok {
		return ""
	}
	return id
}
