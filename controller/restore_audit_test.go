package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestSnapshotRestoreNeverRewindsTheAudit: a backup restored through the
// API puts back the state it holds, but the audit trail keeps every record
// made since the backup and gains one of the restore itself, numbered on
// from the trail's last, on every node; the next call's record follows it.
func TestSnapshotRestoreNeverRewindsTheAudit(t *testing.T) {
	ms := startCluster(t)
	n1, n2 := ms[0], ms[1]
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if _, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(2))); err != nil {
		t.Fatal(err)
	}
	snap, err := n1.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(5))); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.c.SilenceAlert(ctx, "RackOverBudget{rack=H1-R1-K1}", "ops", "after the backup", time.Hour); err != nil {
		t.Fatal(err)
	}
	before, err := n1.c.Audit(ctx, api.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n2.c.RestoreSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	sameState(t, ms)
	if s, err := n1.c.Site(ctx); err != nil || s.Count().Racks != 2 {
		t.Fatalf("after the restore: got %v, %v, want the backup's 2-rack site", s, err)
	}
	if _, err := n1.c.PutInventory(ctx, siteYAML(t, inventory.Reference(3))); err != nil {
		t.Fatal(err)
	}
	sameState(t, ms)
	for _, m := range ms {
		after, err := m.c.Audit(ctx, api.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		recs := after.Records
		if len(recs) != len(before.Records)+2 {
			t.Fatalf("%s: got %d records %+v, want the %d before the restore, the restore's and the next call's", m.id, len(recs), recs, len(before.Records))
		}
		for i, r := range before.Records {
			if recs[i].Seq != r.Seq || recs[i].Path != r.Path || recs[i].Input != r.Input {
				t.Errorf("%s: record %d: got %+v, want %+v, made before the restore", m.id, i, recs[i], r)
			}
		}
		last := before.Records[len(before.Records)-1]
		restore, next := recs[len(recs)-2], recs[len(recs)-1]
		if restore.Method != "PUT" || restore.Path != "/v1/cluster/snapshot" || restore.Status != 204 || restore.Seq != last.Seq+1 ||
			restore.Input != "" || !strings.Contains(restore.Result, "restored a snapshot") || restore.Who != "anonymous" {
			t.Errorf("%s: the restore's record: got %+v, want PUT /v1/cluster/snapshot, 204, seq %d, no input, what it restored", m.id, restore, last.Seq+1)
		}
		if next.Path != "/v1/inventory" || next.Seq != last.Seq+2 {
			t.Errorf("%s: the next call's record: got %+v, want PUT /v1/inventory numbered %d", m.id, next, last.Seq+2)
		}
	}
}
