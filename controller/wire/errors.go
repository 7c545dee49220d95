package wire

import "errors"

// Errors a node returns for the API to map onto problems. Their texts keep
// the "api:" prefix they had when they lived in package api: they are the
// API's answers (the server trims the prefix off the problem's detail), and
// the logs and scripts that know them stay right.
var (
	// ErrNotLeader means the node cannot accept the write; NotLeaderError
	// carries where the leader is.
	ErrNotLeader = errors.New("api: this controller is not the leader")
	// ErrNoInventory means no site inventory has been loaded yet.
	ErrNoInventory = errors.New("api: no site inventory is loaded")
	// ErrUnknownRule is returned for an alert ID whose rule dcplane does not
	// have: a silence of it would silence nothing.
	ErrUnknownRule = errors.New("api: no such alert rule")
	// ErrUnknownRack is returned for a rack the inventory does not have.
	ErrUnknownRack = errors.New("api: no such rack in the inventory")
	// ErrUnknownToken is returned for a token ID no token has.
	ErrUnknownToken = errors.New("api: no such token")
	// ErrAuditUnavailable is returned when the audit record of a call
	// cannot be written: the call is refused rather than done unrecorded.
	ErrAuditUnavailable = errors.New("api: the audit record cannot be written")
)

// NotLeaderError is ErrNotLeader with the leader's API address, when known.
type NotLeaderError struct{ LeaderAPI string }

func (e *NotLeaderError) Error() string { return ErrNotLeader.Error() + "; leader: " + e.LeaderAPI }

// Unwrap makes errors.Is(err, ErrNotLeader) hold.
func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }
