// Package deploy holds what an operator deploys dcplane with: example site
// inventories, configs for Prometheus, Alertmanager and Grafana, systemd
// units. The files a binary needs at run time (the bundled reference site,
// the city's workloads) are embedded here.
package deploy

import _ "embed"

// ReferenceSite is the bundled example inventory: the reference DPC of about
// 7 MW in two halls of 460 racks of 15 kW. It is the output of
// inventory.Reference(460); a test keeps the two equal.
//
//go:embed sites/reference-dpc.yaml
var ReferenceSite []byte

// ReferenceSiteName is the name under which ReferenceSite is reported.
const ReferenceSiteName = "deploy/sites/reference-dpc.yaml"

// CityWorkloads is the bundled workloads file: the city's information
// systems as placement requests (read with api.DecodeWorkloads), which
// 'dcplane demo' places on start. A test keeps it valid.
//
//go:embed workloads/city.yaml
var CityWorkloads []byte

// CityWorkloadsName is the name under which CityWorkloads is reported.
const CityWorkloadsName = "deploy/workloads/city.yaml"
