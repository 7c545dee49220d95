// Package dashboards holds the Grafana dashboards of dcplane, as JSON to
// provision (deploy/grafana) or import: site overview, rack heat map, feeds
// and phases, row cooling, placement, controller and agent health.
//
// The JSON is generated: the dashboards are Go in gen/, built with the
// Grafana Foundation SDK, so that a broken panel does not compile. Edit
// gen/ and run `go generate ./dashboards`; a test in gen/ fails while the
// committed files differ from what it makes. deploy/grafana_test.go runs
// every panel's query through a real Prometheus scraping the demo, a rack
// of it stale, and requires data of each; a test in cmd/dcplane checks that
// every metric they name is exported and every query is valid PromQL.
package dashboards

import "embed"

//go:generate go run ./gen

// FS holds the dashboards' JSON files.
//
//go:embed *.json
var FS embed.FS
