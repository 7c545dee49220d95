package state

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/wire"
)

// TestEpochMovesOnlyWhenThePlacementPictureDoes applies each command to a
// machine holding a placement and a reservation: the epoch must move on
// exactly when the placement engine's picture of the state changed other
// than by an accepted Place or by freeing room, and Released exactly when
// room was only freed, so that the leader keeps its working copy of the
// cluster through the audit record that follows every placement, and
// through removals.
func TestEpochMovesOnlyWhenThePlacementPictureDoes(t *testing.T) {
	tests := []struct {
		name  string
		cmd   func(m *Machine) Command
		moves bool // the epoch
		frees bool // Released
	}{
		{"an accepted Place", func(m *Machine) Command {
			r := req("api2", 1, 300)
			return Place{ID: "p2", Request: r, Assignments: decide(t, m, r), At: t0}
		}, false, false},
		{"a node's API URL", func(*Machine) Command { return SetNodeAPI{Node: "n1", URL: "http://127.0.0.1:1", At: t0} }, false, false},
		{"alerts", func(*Machine) Command { return record(fired("a1", t0)) }, false, false},
		{"a token", func(*Machine) Command { return createToken("tok", wire.RoleAdmin) }, false, false},
		{"a token revoked", func(*Machine) Command { return RevokeToken{ID: "t0", By: "me", At: t0} }, false, false},
		{"an audit record", func(*Machine) Command { return auditOf(1, 0) }, false, false},
		{"a command of a newer release, skipped", func(*Machine) Command { return Ignored{Raw: 0x7f | IgnoreUnknown, Version: 1} }, false, false},
		{"a refused Place", func(*Machine) Command { return Place{ID: "bad", Request: req("x", 1, 1), At: t0} }, true, false},
		{"a refused audit record", func(*Machine) Command { return RecordAudit{At: t0} }, true, false},
		{"a placement removed", func(*Machine) Command { return RemovePlacement{ID: "p1", At: t0} }, false, true},
		{"a reservation confirmed", func(*Machine) Command { return ConfirmReservation{ID: "r1", At: t0} }, true, false},
		{"reservations expired", func(*Machine) Command { return ExpireReservations{At: t0.Add(time.Hour)} }, false, true},
		{"an unknown placement removed", func(*Machine) Command { return RemovePlacement{ID: "nope", At: t0} }, true, false},
		{"rack peaks", func(*Machine) Command { return RecordRackPeaks{Peaks: map[string]float64{"H1-R01-K01": 900}, At: t0} }, true, false},
		{"a rack budget", func(*Machine) Command { return SetRackBudget{Rack: "H1-R01-K01", Watts: 5000, At: t0} }, true, false},
		{"the site again", func(*Machine) Command { return PutSite{Site: serverSite(), At: t0} }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineWithServers(t)
			p, r := req("api", 1, 300), req("batch", 1, 200)
			mustApply(t, m, Place{ID: "p1", Request: p, Assignments: decide(t, m, p), At: t0},
				Place{ID: "r1", Request: r, Assignments: decide(t, m, r), Reserve: true, At: t0, ExpiresAt: t0.Add(time.Minute)},
				createToken("t0", wire.RoleAdmin))
			before, released := m.View().Epoch(), m.View().Released()
			_ = applyErr(m, tt.cmd(m))
			if moved := m.View().Epoch() != before; moved != tt.moves {
				t.Errorf("epoch moved: got %v, want %v", moved, tt.moves)
			}
			if freed := m.View().Released() != released; freed != tt.frees {
				t.Errorf("released moved: got %v, want %v", freed, tt.frees)
			}
		})
	}
}
