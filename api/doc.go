// Package api is dcplane's HTTP contract: the types of api/openapi.yaml, the
// controller's HTTP handlers, and the Go client that the CLI, the agent and
// the tests use.
//
// The server consumes a controller node through the interfaces it declares
// (Controller, Router, Membership, …), never package controller itself.
// The values and errors a node builds are package controller/wire's,
// re-exported here under their own names (ClusterStatus, ErrNotLeader, …)
// so that clients need only this package.
//
// Machine-readable output carries base units (watts, ratios); an unknown
// value is JSON null, never 0. Every error is an RFC 9457 problem+json
// document; a rejected inventory lists each field at fault with its line.
// Agents push telemetry as CBOR (RFC 8949), which is compact and standard.
package api
