// Package store replicates the controller's state (package state) with
// hashicorp/raft.
//
// A Store is one node of the controller cluster. Open starts it on a data
// directory that holds its Raft log (hashicorp/raft-wal's segments under
// wal/, or raft-boltdb's raft.db: see LogStore), its stable store (the term
// and vote, in raft.db) and its snapshots (the two latest are kept). A
// directory that holds a log keeps its store whatever Config.LogStore says. The first node of a new
// cluster is opened with Bootstrap set; the others are opened without it and
// added by the leader with Join. Bootstrap on a data directory that already
// holds Raft state is a no-op, so a node may always be started with the same
// flags.
//
// # Writes
//
// Apply sends a command to the log. It runs on the leader only: on a follower
// it fails with ErrNotLeader, and Leader says where to send it instead. When
// Apply returns without error the command is durable: it is in the logs of a
// quorum of nodes, each of which fsync'd it (both log stores sync every
// append) before acknowledging, and it has been applied to the leader's
// state. A command the
// state rejects (an invalid site, an unknown rack) is still committed, as a
// no-op, and Apply returns the state's error. When Apply fails with the
// context's error or with raft.ErrLeadershipLost, the outcome is unknown: the
// command may still commit.
//
// A committed entry that this node cannot decode (a type or body version
// from a newer release without the ignore bit, or a corrupt body) halts the
// state machine rather than let its state silently diverge from the
// cluster's: it applies nothing more, refuses to snapshot, and Ready reports
// ErrHalted with the entry's index and the type and version that wrote it.
// The process stays up so that an operator can ask it why; upgrade the node
// and start it again. (A panic would crash it again on every restart.)
//
// # Catching up
//
// A node that starts replays its log only once it hears from a leader, and a
// follower that joins learns the log from the leader. Until it has applied
// what it must (see Ready), its state is older than the cluster's: Ready
// says so with ErrCatchingUp, and the API answers 503 rather than serve old
// state as current.
//
// # Membership
//
// Join, Remove and TransferLeadership change the cluster; Members lists it.
// Backup and Restore save the state and put it back on every node.
//
// # Reads
//
// State returns the latest applied state: one atomic load, no lock, safe on
// any node. A follower's state may lag the leader's; compare View.Index with
// the index of a write to know whether it is there yet, and LastContact says
// how long ago the follower last heard from the leader.
//
// # Leadership
//
// LeaderCh tells the loops that only the leader runs when to start and stop.
// A loop that starts on leadership should call Barrier first, so that it reads
// a state holding every entry committed by earlier leaders.
//
// Raft's own logs (hclog) are routed to the injected slog.Logger, with
// component=raft; with no logger they are discarded.
package store
