// Package state is the controller's replicated state machine: the site
// inventory, the per-rack budget overrides, placements and reservations,
// committed rack peaks, the nodes' API URLs, the alert state (firing
// alerts, acks, silences: package alerts' State, changed by RecordAlerts)
// and the index of the last log entry applied.
//
// The package is pure. Commands come in as small typed structs (PutSite,
// SetRackBudget), Machine.Apply turns the current state and a command into the
// next state, and nothing in it reads the clock, draws a random number or does
// I/O: time comes in the command. Every replica that applies the same commands
// at the same indexes therefore holds the same state, byte for byte in its
// snapshot.
//
// # Wire format
//
// A command travels through the Raft log as one type byte, a body version
// byte and a body (Encode, Decode): JSON, or for the commands every
// placement writes a compact CBOR body, which the leader writes only once
// every member reads it (EncodeFor; MessageType says how). Type values are only ever appended, never reused or
// renumbered. The high bit of the type byte, IgnoreUnknown, says what a node
// that does not know the type must do with it: without the bit, Decode fails
// with ErrUnknownCommand and the node must stop rather than diverge; with the
// bit, Decode returns an Ignored command, which applies as a no-op. A new
// command gets the bit only when replicas that lack its effect during a rolling
// upgrade still answer every read correctly. Fields added to an existing
// command's body are ignored by older nodes, so a change an older node must not
// ignore takes a new body version.
//
// # Reading
//
// The state is published as an immutable *View. Apply and Restore build a new
// View and swap it in with one atomic store, so readers need no lock: a View
// they hold never changes under them. Values a View returns (the site in
// particular) are shared with every other reader and must not be modified.
//
// # Snapshots
//
// View.WriteTo writes a versioned JSON snapshot and Machine.Restore reads one
// back. Restore does not re-validate the site: a snapshot holds only what Apply
// accepted, and rules tightened by a later release must not stop a node from
// starting.
package state
