// Package dashboards holds the Grafana dashboards of dcplane, as JSON to
// provision or import. A test in cmd/dcplane checks that every metric they
// query is one the running controller and agent export, and that every
// query is valid PromQL (promtool).
package dashboards

import "embed"

// FS holds the dashboards' JSON files.
//
//go:embed *.json
var FS embed.FS
