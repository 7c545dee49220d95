// Package history keeps each rack's recent peak draw: a downsampled,
// bounded record of the maximum measured in each bucket of time, from which
// the peak over a horizon (24 hours by default) is read.
//
// The placement engine counts a rack's recent peak, not its draw of the
// moment, against its budget: a rack that idles at night still needs its
// daytime peak. The leader feeds the record from its power accounting and
// commits the peaks to the Raft log at a low rate, so that a new leader
// keeps them; the record itself lives only in the leader's memory.
//
// The package is pure: time comes in the calls.
package history
