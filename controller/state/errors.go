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

	// ErrUnknownVersion is returned by Decode for a command of a known type
	// whose body version is newer than this build reads: it was written by
	// a newer release.
	ErrUnknownVersion = errors.New("state: command version too new")

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

	// ErrOverbooked is returned by Apply for a Place whose replicas no longer
	// fit the committed state (another placement took the room since the
	// leader decided). It wraps the *placement.Infeasible that says which
	// limit, where, with numbers.
	ErrOverbooked = errors.New("state: placement no longer fits")

	// ErrUnknownPlacement is returned for a command naming a placement or
	// reservation that the state does not hold (or no longer: expired).
	ErrUnknownPlacement = errors.New("state: unknown placement")

	// ErrDuplicatePlacement is returned by Apply for a Place whose ID is
	// already taken.
	ErrDuplicatePlacement = errors.New("state: placement ID already used")

	// ErrInvalidPlacement is returned by Apply for a Place that names a
	// server the inventory does not have, an invalid request, or no replicas.
	ErrInvalidPlacement = errors.New("state: invalid placement")

	// ErrInUse is returned by PutSite for an inventory that drops servers
	// still holding placements: remove those first.
	ErrInUse = errors.New("state: servers in use")

	// ErrInvalidToken is returned by CreateToken for a role no token may
	// have.
	ErrInvalidToken = errors.New("state: invalid token")

	// ErrDuplicateToken is returned by CreateToken for an ID already taken.
	ErrDuplicateToken = errors.New("state: token ID already used")

	// ErrUnknownToken is returned by RevokeToken for an ID no token has.
	ErrUnknownToken = errors.New("state: unknown token")

	// ErrSnapshotFormat is returned by Restore for a snapshot that is not JSON
	// or whose format version this build cannot read.
	ErrSnapshotFormat = errors.New("state: unsupported snapshot format")
)
