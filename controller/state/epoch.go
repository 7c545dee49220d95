package state

// keepsEpoch says whether cmd, applied with err, leaves the epoch as it
// was: an accepted Place (the leader's working copy holds it already), and
// the accepted commands that record only what placement never reads (node
// API URLs, alerts, tokens, the audit trail) or that this build skips.
// Every other command moves the epoch on, and so does any command refused
// and any type not listed here: the leader then builds its working copy of
// the cluster anew, which costs a copy of every server, never a decision on
// a stale picture. Without this, every audited placement would discard the
// working copy that the next one needs.
func keepsEpoch(cmd Command, err error) bool {
	if err != nil {
		return false
	}
	switch cmd.(type) {
	case Place, SetNodeAPI, RecordAlerts, CreateToken, RevokeToken, RecordAudit, Ignored:
		return true
	}
	return false
}
