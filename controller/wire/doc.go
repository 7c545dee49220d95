// Package wire holds the values that pass between a controller node
// (package controller) and its HTTP API (package api), so that neither
// imports the other: the node builds the answers (ClusterStatus,
// AlertList, ForecastReport) and returns the errors, the API decodes the
// requests (Batch, JoinRequest) and encodes the answers, and maps the
// errors onto problems.
//
// The API declares the interfaces it consumes in terms of these types and
// re-exports each name (api.ClusterStatus is wire.ClusterStatus, and
// api.ErrNotLeader is wire.ErrNotLeader), so that its clients (the CLI, the
// agent) never import this package, and errors.Is matches either name.
// What only one side uses (filters, problem documents, the client) stays
// there.
//
// It is a leaf: it imports only the pure packages its types are made of
// (collectors, controller/alerts), never controller, its store, or api.
package wire
