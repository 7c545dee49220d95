package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/wire"
)

// RecordAudit commits an audit record through the log: it returns once
// the record is as durable as any write, or wraps wire.ErrAuditUnavailable
// when it cannot be, for the API to fail the call it records.
func (n *Node) RecordAudit(ctx context.Context, rec wire.AuditRecord) error {
	if rec.Node == "" {
		rec.Node = n.cfg.NodeID
	}
	if _, err := n.store.Apply(ctx, state.RecordAudit{Records: []wire.AuditRecord{rec}, At: n.cfg.Now()}); err != nil {
		return fmt.Errorf("%w: %w", wire.ErrAuditUnavailable, n.leaderError(err))
	}
	return nil
}

// Audit returns the audit records f matches, oldest first: at most the
// newest f.Limit of them when f.Limit > 0.
func (n *Node) Audit(_ context.Context, f wire.AuditFilter) ([]wire.AuditRecord, error) {
	all := n.store.State().Audit()
	out := []wire.AuditRecord{}
	for _, r := range all {
		if auditMatch(f, r) {
			out = append(out, r)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

func auditMatch(f wire.AuditFilter, r wire.AuditRecord) bool {
	return (f.Who == "" || strings.Contains(r.Who, f.Who)) &&
		(f.Path == "" || strings.HasPrefix(r.Path, f.Path)) &&
		(f.Method == "" || strings.EqualFold(f.Method, r.Method)) &&
		(f.Since.IsZero() || !r.At.Before(f.Since))
}
