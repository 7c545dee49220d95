package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestPlacementsCommitTheirRecordInTheirEntry places through the API and
// reads the Raft log back: each placement is one entry holding both the
// Place and its call's audit record, and no entry records a placement
// call apart from it, so that no crash can leave one unrecorded.
func TestPlacementsCommitTheirRecordInTheirEntry(t *testing.T) {
	dir := t.TempDir()
	n, c := openSite(t, dir, inventory.Reference(4))
	ctx := context.Background()
	ids := map[string]bool{}
	for i := range 3 {
		p, err := c.Place(ctx, &api.PlacementRequest{Name: fmt.Sprintf("w%d", i), Replicas: 1, CPUMillicores: 500,
			MemoryMiB: 512, Watts: 200, Spread: "server"}, api.PlaceOptions{Key: fmt.Sprintf("k%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.ID] = true
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	carried, apart := 0, 0
	err := store.ReadLog(dir, func(index uint64, data []byte) error {
		cmd, err := state.Decode(data)
		if err != nil {
			return fmt.Errorf("entry %d: %w", index, err)
		}
		switch c := cmd.(type) {
		case state.Audited:
			p, ok := c.Command.(state.Place)
			if !ok || !ids[p.ID] || c.Record.Method != "POST" || !strings.HasPrefix(c.Record.Path, "/v1/placements") ||
				c.Record.Status != 201 || c.Record.Node != "c1" || !strings.Contains(c.Record.Input, `"name":"w`) {
				t.Errorf("entry %d: got %T with record %+v, want a placement of the test with its call's record", index, c.Command, c.Record)
			}
			carried++
		case state.Place:
			t.Errorf("entry %d: a placement without its record", index)
		case state.RecordAudit:
			for _, r := range c.Records {
				if strings.HasPrefix(r.Path, "/v1/placements") {
					apart++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if carried != 3 || apart != 0 {
		t.Errorf("got %d placements with their record and %d records apart, want 3 and 0", carried, apart)
	}
}
