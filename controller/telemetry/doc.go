// Package telemetry keeps the leader's in-memory window of device readings.
//
// Telemetry is high-rate and disposable: it never goes through the Raft log.
// Each series (device, metric, scope, index) keeps a bounded ring of recent
// samples; each device keeps the outcome of its last poll. A device whose
// last poll failed, or that has not been heard from within the staleness
// limit, is stale: its readings are unknown, never zero and never the last
// value carried forward.
package telemetry
