// Package agent polls devices near the racks and pushes their readings to
// the controller.
//
// Each target is polled on an interval with jitter, at most one poll of a
// device at a time, under a per-request timeout; a device that keeps failing
// is polled less often (exponential backoff up to a limit) and every failure
// is still reported, so that the controller marks it stale at once. A
// poll's result is pushed as soon as it is in, so that an alert is one poll
// and one push from the device's change: results that come in while a push
// is in flight, or less than PushGap after the last, go together in the
// next batch, which keeps an agent of thousands of devices within the
// controller's rate of pushes; a batch is split at the controller's limit
// of polls per push. While no controller answers, batches (one every
// FlushInterval) wait in a bounded buffer, the oldest dropped first, and
// the agent's metrics say so.
package agent
