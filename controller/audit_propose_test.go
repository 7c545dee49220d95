package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestSilencesAndJoinsCommitTheirRecordInTheirEntry silences an alert and
// joins a node (again, with a new API URL) through the API, then reads the
// Raft log back: each change is one entry holding both its command and its
// call's audit record, whose result is the state's outcome, and no entry
// records either call apart, so that no crash can leave one unrecorded.
func TestSilencesAndJoinsCommitTheirRecordInTheirEntry(t *testing.T) {
	dir := t.TempDir()
	n, c := openSite(t, dir, inventory.Reference(1))
	ctx := context.Background()
	if _, err := c.SilenceAlert(ctx, "RackOverBudget{rack=H1-R1-K1}", "ops", "maintenance", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := c.Join(ctx, api.JoinRequest{ID: "c1", RaftAddr: n.RaftAddr(), API: "http://c1.example:8080"}); err != nil {
		t.Fatal(err)
	}
	list, err := c.Audit(ctx, api.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Records {
		if !strings.HasPrefix(r.Result, "applied with its record: ") {
			t.Errorf("record %+v: want the state's outcome of its command as its result", r)
		}
	}
	if len(list.Records) != 2 {
		t.Errorf("got %d records, want the silence's and the join's", len(list.Records))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	carried := map[string]int{}
	apart := 0
	err = store.ReadLog(dir, func(index uint64, data []byte) error {
		cmd, err := state.Decode(data)
		if err != nil {
			return fmt.Errorf("entry %d: %w", index, err)
		}
		switch c := cmd.(type) {
		case state.Audited:
			r := c.Record
			if r.Node != "c1" {
				t.Errorf("entry %d: record %+v: want the node that served it", index, r)
			}
			switch c.Command.(type) {
			case state.RecordAlerts:
				if !strings.HasSuffix(r.Path, "/silence") || r.Status != 200 || !strings.Contains(r.Input, "maintenance") {
					t.Errorf("entry %d: silence record %+v", index, r)
				}
				carried["silence"]++
			case state.SetNodeAPI:
				if r.Path != "/v1/cluster/join" || r.Status != 204 || !strings.Contains(r.Input, "c1.example") {
					t.Errorf("entry %d: join record %+v", index, r)
				}
				carried["join"]++
			}
		case state.RecordAudit:
			for _, r := range c.Records {
				if strings.HasSuffix(r.Path, "/silence") || r.Path == "/v1/cluster/join" {
					apart++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if carried["silence"] != 1 || carried["join"] != 1 || apart != 0 {
		t.Errorf("got %v carried and %d records apart, want one silence and one join carried and none apart", carried, apart)
	}
}
