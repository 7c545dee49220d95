package state

import "errors"

// Errors returned by Decode, Apply and Restore. Each is wrapped with context;
// test for them with errors.Is. A site that fails validation is reported with
// the inventory's own error, which wraps inventory.ErrInvalid.
var (
	// ErrUnknownCommand is returned by Decode for a type byte this build does
	// not know and that lacks the IgnoreUnknown bit, and by Apply and Encode
	// for a Command they cannot handle.
	ErrUnknownCommand = errors.New("state: unknown command")

	// ErrMalformedCommand is returned for an encoded command that is empty or
	// whose body does not decode, and for a command missing a required field
	// (a site, a rack, a time).
	ErrMalformedCommand = errors.New("state: malformed command")

	// ErrUnknownRack is returned when a command or a lookup names a rack that
	// the current inventory does not have, or when there is no inventory yet.
	ErrUnknownRack = errors.New("state: unknown rack")

	// ErrInvalidBudget is returned by SetRackBudget for a budget that is not a
	// finite number of watts greater than zero.
	ErrInvalidBudget = errors.New("state: invalid budget")

	// ErrStaleIndex is returned by Apply for an index at or below the index
	// already applied: a log entry is applied once, in order.
	ErrStaleIndex = errors.New("state: stale index")

	// ErrSnapshotFormat is returned by Restore for a snapshot that is not JSON
	// or whose format version this build cannot read.
	ErrSnapshotFormat = errors.New("state: unsupported snapshot format")
)
