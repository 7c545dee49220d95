// Package controller runs a controller node: the replicated store (Raft), the
// leader's telemetry window, power accounting, placement, alerts and the
// metrics Prometheus scrapes.
//
// It does not know its HTTP API: package api declares the small interfaces
// it consumes of a node, the values that pass between them are package
// wire's, and package internal/serve puts the two together and serves
// them. A node reaches the other controllers' APIs (to join their cluster,
// to ask the leader how far it has committed) through the Peer clients
// that Config.Peers makes.
//
// What must survive a failover (inventory, budgets) goes through the Raft
// log; telemetry stays in the leader's memory and is rebuilt from the agents'
// next pushes. The pure parts are packages of their own: state (the state
// machine), power (accounting), telemetry (the window).
package controller
