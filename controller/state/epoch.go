package state

// pictureChange is how a command changed the placement engine's picture of
// the state (the cluster with every placement counted), for a leader that
// decides on a copy of it.
type pictureChange int

const (
	// pictureKept: an accepted Place (the leader's copy holds it already),
	// or a command that records only what placement never reads (node API
	// URLs, alerts, tokens, the audit trail) or that this build skips.
	pictureKept pictureChange = iota
	// pictureFreed: the command only released room (a placement removed,
	// reservations expired). A copy taken before it counts that room as
	// still used: every limit checked on it holds on the state too.
	pictureFreed
	// pictureMoved: anything else, and any command refused.
	pictureMoved
)

// changeOf says how cmd, applied with err, changed the placement picture.
// A type not listed here moves it: the leader then builds its copy of the
// cluster anew, which costs a copy of every server, never a decision on a
// picture that is wrong. Without the first case, the audit record that
// follows every placement would discard the copy the next one needs; without
// the second, every removal would.
func changeOf(cmd Command, err error) pictureChange {
	if err != nil {
		return pictureMoved
	}
	if a, ok := cmd.(Audited); ok {
		// The record beside the command changes nothing placement reads.
		return changeOf(a.Command, nil)
	}
	switch cmd.(type) {
	case Place, SetNodeAPI, RecordAlerts, CreateToken, RevokeToken, RecordAudit, Ignored:
		return pictureKept
	case RemovePlacement, ExpireReservations:
		return pictureFreed
	}
	return pictureMoved
}
