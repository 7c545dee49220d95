package state

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// AuditRetention is how many audit records the state keeps: the newest. A
// record is about 1 KiB at most, so the trail costs at most some 10 MiB of
// every snapshot.
const AuditRetention = 10000

// access is the state of who may call the API and what was called: the
// tokens, by ID, and the newest audit records. Both are copied on write.
type access struct {
	tokens  map[string]wire.Token
	audit   []wire.AuditRecord // oldest first
	lastSeq uint64             // Seq of the newest record ever kept
}

// CreateToken adds an API token. The leader makes its ID and secret; the
// command carries the secret's SHA-256 only. An ID already taken, an empty
// name, a role no token may have, or a hash that is not 32 bytes of hex is
// refused.
type CreateToken struct {
	Token wire.Token `json:"token"`
	// Hash is repeated here because Token's is never encoded.
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// Type is CreateTokenType.
func (CreateToken) Type() MessageType { return CreateTokenType }
func (CreateToken) command()          {}

// bodyVersion is 2 for a token with halls, else 1, which older nodes read.
func (c CreateToken) bodyVersion() uint8 {
	if len(c.Token.Halls) > 0 {
		return 2
	}
	return 1
}

// RevokeToken revokes a token: it authenticates nothing from this entry
// on. Revoking a revoked token changes nothing.
type RevokeToken struct {
	ID string    `json:"id"`
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// Type is RevokeTokenType.
func (RevokeToken) Type() MessageType { return RevokeTokenType }
func (RevokeToken) command()          {}

// RecordAudit appends records to the audit trail. The state numbers them
// (Seq) and keeps the newest AuditRetention.
type RecordAudit struct {
	Records []wire.AuditRecord `json:"records"`
	At      time.Time          `json:"at"`
}

// Type is RecordAuditType.
func (RecordAudit) Type() MessageType { return RecordAuditType }
func (RecordAudit) command()          {}

// Token returns the token with this ID, revoked or not, with its Hash.
func (v *View) Token(id string) (wire.Token, bool) {
	t, ok := v.access.tokens[id]
	return t, ok
}

// Tokens returns every token, by ID, with their hashes: a copy.
func (v *View) Tokens() []wire.Token {
	out := slices.Collect(maps.Values(v.access.tokens))
	slices.SortFunc(out, func(a, b wire.Token) int { return cmpString(a.ID, b.ID) })
	return out
}

// Audit returns the audit records kept, oldest first. Do not modify them.
func (v *View) Audit() []wire.AuditRecord { return v.access.audit }

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *View) createToken(c CreateToken) (*View, error) {
	t := c.Token
	switch h, err := hex.DecodeString(c.Hash); {
	case t.ID == "" || t.Name == "" || c.At.IsZero():
		return nil, fmt.Errorf("create token: ID, name and time are required: %w", ErrMalformedCommand)
	case !wire.ValidTokenRole(t.Role):
		return nil, fmt.Errorf("create token %s: role %q: want one of %v: %w", t.ID, t.Role, wire.TokenRoles, ErrInvalidToken)
	case err != nil || len(h) != 32:
		return nil, fmt.Errorf("create token %s: the hash is not a hex SHA-256: %w", t.ID, ErrMalformedCommand)
	case len(t.Halls) > 0 && t.Role != wire.RoleAgent:
		return nil, fmt.Errorf("create token %s: halls %v: only an agent's token has halls: %w", t.ID, t.Halls, ErrInvalidToken)
	case slices.Contains(t.Halls, ""):
		return nil, fmt.Errorf("create token %s: an empty hall name: %w", t.ID, ErrInvalidToken)
	}
	if _, ok := v.access.tokens[t.ID]; ok {
		return nil, fmt.Errorf("create token %s: %w", t.ID, ErrDuplicateToken)
	}
	t.Hash, t.CreatedAt = c.Hash, normalTime(c.At)
	t.Revoked, t.RevokedBy, t.RevokedAt = false, "", time.Time{}
	n := *v
	n.access.tokens = maps.Clone(v.access.tokens)
	if n.access.tokens == nil {
		n.access.tokens = map[string]wire.Token{}
	}
	n.access.tokens[t.ID] = t
	n.updated = normalTime(c.At)
	return &n, nil
}

func (v *View) revokeToken(c RevokeToken) (*View, error) {
	if c.ID == "" || c.At.IsZero() {
		return nil, fmt.Errorf("revoke token: ID and time are required: %w", ErrMalformedCommand)
	}
	t, ok := v.access.tokens[c.ID]
	if !ok {
		return nil, fmt.Errorf("revoke token %s: %w", c.ID, ErrUnknownToken)
	}
	n := *v
	if t.Revoked {
		return &n, nil
	}
	t.Revoked, t.RevokedBy, t.RevokedAt = true, c.By, normalTime(c.At)
	n.access.tokens = maps.Clone(v.access.tokens)
	n.access.tokens[c.ID] = t
	n.updated = normalTime(c.At)
	return &n, nil
}

func (v *View) recordAudit(c RecordAudit) (*View, error) {
	if len(c.Records) == 0 || c.At.IsZero() {
		return nil, fmt.Errorf("record audit: records and time are required: %w", ErrMalformedCommand)
	}
	n := *v
	n.appendAudit(c.Records...)
	n.updated = normalTime(c.At)
	return &n, nil
}

// appendAudit numbers recs and appends them to n's audit trail, keeping
// the newest AuditRetention. n must be a view not yet published.
func (n *View) appendAudit(recs ...wire.AuditRecord) {
	// The records are appended in place when the slice has room: a view
	// is never changed once published and sees only its own length, and
	// only Apply, one at a time, appends, always to the newest view.
	audit := n.access.audit
	for _, r := range recs {
		n.access.lastSeq++
		r.Seq, r.At = n.access.lastSeq, normalTime(r.At)
		audit = append(audit, r)
	}
	if over := len(audit) - AuditRetention; over > 0 {
		audit = audit[over:]
	}
	n.access.audit = audit
}

// accessEmpty says whether the access state holds nothing.
func accessEmpty(a access) bool { return len(a.tokens) == 0 && len(a.audit) == 0 && a.lastSeq == 0 }
