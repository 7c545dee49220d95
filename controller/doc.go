// Package controller runs a controller node: the replicated store (Raft), the
// leader's telemetry window, power accounting, the HTTP API and the metrics
// Prometheus scrapes.
//
// What must survive a failover (inventory, budgets) goes through the Raft
// log; telemetry stays in the leader's memory and is rebuilt from the agents'
// next pushes. The pure parts are packages of their own: state (the state
// machine), power (accounting), telemetry (the window).
package controller
