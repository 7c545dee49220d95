// Package serve wires a controller node to its HTTP API: it opens the node
// (package controller) with clients of the other controllers built on
// api.Client, puts the API (package api) in front of it, and serves that
// on a listener with the server's timeouts. It is the one place that does
// so: the dcplane controller command, the demo, the benchmarks and the
// tests all start a node through Open.
//
// The node does not know the API and the API does not know the node: the
// API declares the small interfaces it consumes (api.Controller,
// api.Router, …) and the values that pass between them are package
// controller/wire's. This package is where the two meet, and checks at
// compile time that the node offers everything the API consumes.
package serve
