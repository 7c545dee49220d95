package controller

import (
	"context"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestIngestKeepsBMCPolls checks that a push of a server's BMC poll reaches
// the telemetry window (the server's ID is a device of the inventory when
// the server has a BMC), so that the per-server listing and the
// cross-check have data; a server without a BMC stays unknown, whatever
// an agent pushes under its ID.
func TestIngestKeepsBMCPolls(t *testing.T) {
	site := inventory.Reference(1)
	var withBMC, without string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		k.Servers[0].BMC = &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
		k.Servers[1].BMC = nil
		withBMC, without = k.Servers[0].ID, k.Servers[1].ID
		return false
	})
	n := openNode(t, t.TempDir(), site)
	defer n.Close()
	now := time.Now()
	polls := []collectors.Status{
		{Device: withBMC, At: now, OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 321}}},
		{Device: without, At: now, OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 123}}},
	}
	if _, err := n.Ingest(context.Background(), &wire.Batch{Agent: "a", Seq: 1, Polls: polls}); err != nil {
		t.Fatal(err)
	}
	var rack string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool { rack = k.ID; return false })
	servers, err := n.Servers(context.Background(), rack)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range servers {
		if s.ID == without && (s.Fresh || s.Watts != nil) {
			t.Errorf("%s has no BMC: got %+v, want it unknown whatever is pushed for it", without, s)
		}
		if s.ID == withBMC {
			found = true
			if s.Watts == nil || *s.Watts != 321 {
				t.Errorf("%s: got watts %v, want 321 from its BMC's push", withBMC, s.Watts)
			}
		}
	}
	if !found {
		t.Errorf("got servers %+v, want %s with its BMC's reading", servers, withBMC)
	}
}
