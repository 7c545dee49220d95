// Package api is dcplane's HTTP contract: the types of api/openapi.yaml, the
// controller's HTTP handlers, and the Go client that the CLI, the agent and
// the tests use.
//
// Machine-readable output carries base units (watts, ratios); an unknown
// value is JSON null, never 0. Every error is an RFC 9457 problem+json
// document; a rejected inventory lists each field at fault with its line.
// Agents push telemetry as CBOR (RFC 8949), which is compact and standard.
package api
