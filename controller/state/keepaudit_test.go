package state

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// TestRestoreKeepsTheCurrentAuditTrail: a snapshot rewritten by KeepAudit
// for restoring holds the snapshot's state but the current audit trail,
// then the restore's record, numbered on from the trail's last; the
// snapshot's own (older) records are not put back, and the current view's
// records are left as they were.
func TestRestoreKeepsTheCurrentAuditTrail(t *testing.T) {
	m := New()
	mustApply(t, m, createToken("a", wire.RoleAdmin), auditOf(2, 0))
	var snap bytes.Buffer
	if _, err := m.View().WriteTo(&snap); err != nil {
		t.Fatal(err)
	}
	mustApply(t, m, createToken("b", wire.RoleViewer), auditOf(3, 2))
	cur := m.View()
	rec := wire.AuditRecord{At: t0.Add(time.Hour), Who: "token:a", Method: "PUT", Path: "/v1/cluster/snapshot", Status: 204}
	b, err := KeepAudit(bytes.NewReader(snap.Bytes()), cur, rec)
	if err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.View().Token("b"); ok {
		t.Error("the restored state holds token b, made after the snapshot: want the snapshot's state")
	}
	got := r.View().Audit()
	if len(got) != 6 {
		t.Fatalf("restored audit: got %d records %+v, want the 5 current and the restore's", len(got), got)
	}
	for i, want := range cur.Audit() {
		if got[i] != want {
			t.Errorf("record %d: got %+v, want %+v, as it was before the restore", i, got[i], want)
		}
	}
	last := got[5]
	if last.Seq != 6 || last.Path != "/v1/cluster/snapshot" || last.Who != "token:a" || !strings.Contains(last.Result, "restored a snapshot of index") {
		t.Errorf("the restore's record: got %+v, want seq 6 saying what was restored", last)
	}
	mustApply(t, r, auditOf(1, 9))
	if a := r.View().Audit(); a[len(a)-1].Seq != 7 {
		t.Errorf("the next record: got seq %d, want 7", a[len(a)-1].Seq)
	}
	if a := cur.Audit(); len(a) != 5 || a[4].Seq != 5 {
		t.Errorf("the current view's trail changed: %+v", a)
	}
	if _, err := KeepAudit(bytes.NewReader(snap.Bytes()), cur, wire.AuditRecord{Who: "x"}); !errors.Is(err, ErrMalformedCommand) {
		t.Errorf("a record without a time: got %v, want %v", err, ErrMalformedCommand)
	}
}
