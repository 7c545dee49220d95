// Package bench measures dcplane on the machine it runs on, for the figures
// of docs/benchmarks.md. Each harness is one function that takes a config
// and returns a result: [Poll] (device polls per second one agent sustains
// against the simulator) and [Demo] (memory and CPU of the whole demo in one
// process). Results carry JSON tags for scripts, and Header and Row give
// them as a one-row table for people.
//
// A new harness (placement, raft) is a file here with its config, its
// function and its result, and a cobra command in cmd/dcplane that calls it.
package bench
