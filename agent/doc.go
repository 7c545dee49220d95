// Package agent polls devices near the racks and pushes their readings to
// the controller.
//
// Each target is polled on an interval with jitter, at most one poll of a
// device at a time, under a per-request timeout; a device that keeps failing
// is polled less often (exponential backoff up to a limit) and every failure
// is still reported, so that the controller marks it stale at once. Results
// are batched and pushed; while no controller answers, batches wait in a
// bounded buffer, the oldest dropped first, and the agent's metrics say so.
package agent
