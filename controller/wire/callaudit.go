package wire

import (
	"context"
	"sync"
)

// CallAudit carries the audit record of one API call, as far as the API
// knows it before the call is served (who, role, method, path, input),
// down through the call's context to the node's propose path. There the
// record rides in the same Raft entry as the command that makes the
// call's change (state.Audited), so that no crash can commit a change
// without its record, and the change costs one commit, not two. A call
// that commits no command, or whose command is refused, leaves it
// uncarried: the API then commits the record itself, with the answer.
type CallAudit struct {
	mu      sync.Mutex
	rec     AuditRecord
	input   func() string
	carried bool
}

// NewCallAudit returns the carrier of rec. rec.Status is the status the
// call answers when its command is applied, which the record keeps.
// input, if not nil, returns rec.Input as the call has read it so far:
// the body is read by the handler, after the carrier is made and before
// its command is proposed, on the handler's goroutine, where Record is
// called.
func NewCallAudit(rec AuditRecord, input func() string) *CallAudit {
	return &CallAudit{rec: rec, input: input}
}

// Record returns the record to commit with a command, and false when a
// command of the call already carried it: a call records once.
func (c *CallAudit) Record() (AuditRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := c.rec
	if c.input != nil {
		rec.Input = c.input()
	}
	return rec, !c.carried
}

// Carry says that a command of the call was applied with the record.
func (c *CallAudit) Carry() {
	c.mu.Lock()
	c.carried = true
	c.mu.Unlock()
}

// Carried says whether a command of the call was applied with the record.
func (c *CallAudit) Carried() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.carried
}

type callAuditKey struct{}

// WithCallAudit returns ctx carrying c.
func WithCallAudit(ctx context.Context, c *CallAudit) context.Context {
	return context.WithValue(ctx, callAuditKey{}, c)
}

// CallAuditOf returns the CallAudit ctx carries, nil if none.
func CallAuditOf(ctx context.Context) *CallAudit {
	c, _ := ctx.Value(callAuditKey{}).(*CallAudit)
	return c
}
