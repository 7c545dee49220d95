package api

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/wire"
)

// Media types of the API.
const (
	MediaJSON    = "application/json"
	MediaProblem = "application/problem+json"
	MediaCBOR    = "application/cbor"
	MediaYAML    = "application/yaml"
)

// Batch is what an agent pushes to POST /v1/telemetry, encoded as CBOR.
type Batch = wire.Batch

// IngestResult answers a pushed batch.
type IngestResult struct {
	Accepted int `json:"accepted"` // polls newer than what the controller had
}

// RackList answers GET /v1/racks.
type RackList struct {
	At    time.Time    `json:"at"`
	Racks []power.Rack `json:"racks"`
}

// PowerSummary answers GET /v1/power: site, hall and row rollups.
type PowerSummary struct {
	At    time.Time      `json:"at"`
	Site  power.Rollup   `json:"site"`
	Halls []power.Rollup `json:"halls"`
	Rows  []power.Rollup `json:"rows"`
}

// InventoryResult answers PUT /v1/inventory.
type InventoryResult struct {
	Site         string  `json:"site"`
	Halls        int     `json:"halls"`
	Rows         int     `json:"rows"`
	Racks        int     `json:"racks"`
	PDUs         int     `json:"pdus"`
	CoolingUnits int     `json:"cooling_units"`
	BudgetWatts  float64 `json:"budget_watts"`
	Index        uint64  `json:"index"` // Raft log index at which it was applied
}

// Problem is an RFC 9457 problem detail. It is also the error the Client
// returns for a response that carries one.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"` // the fields at fault
	Leader   string         `json:"leader,omitempty"` // with not-leader: where the leader's API is
	// Rejected counts, for an infeasible placement, how many candidates
	// each constraint turned down.
	Rejected map[string]int `json:"rejected,omitempty"`
}

// FieldProblem is one field at fault in a rejected request.
type FieldProblem struct {
	Field  string `json:"field"`
	Line   int    `json:"line,omitempty"` // in the request body, for YAML inventories
	Detail string `json:"detail"`
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (HTTP %d)", p.Title, p.Status)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, e := range p.Errors {
		b.WriteString("\n  ")
		if e.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", e.Line)
		}
		fmt.Fprintf(&b, "%s: %s", e.Field, e.Detail)
	}
	if len(p.Rejected) > 0 {
		b.WriteString("\n  candidates each limit refused:")
		for _, k := range slices.Sorted(maps.Keys(p.Rejected)) {
			fmt.Fprintf(&b, " %s %d,", k, p.Rejected[k])
		}
		return strings.TrimSuffix(b.String(), ",")
	}
	return b.String()
}

// Problem types: URIs that name each kind of problem the API reports.
const (
	ProblemInvalid     = "urn:dcplane:problem:invalid-request"
	ProblemNotFound    = "urn:dcplane:problem:not-found"
	ProblemNoInventory = "urn:dcplane:problem:no-inventory"
	ProblemNotLeader   = "urn:dcplane:problem:not-leader"
	ProblemTooLarge    = "urn:dcplane:problem:too-large"
	ProblemUnsupported = "urn:dcplane:problem:unsupported-media-type"
	ProblemInternal    = "urn:dcplane:problem:internal"
	ProblemInfeasible  = "urn:dcplane:problem:infeasible"
	// ProblemCatchingUp: the node is replaying the log; retry after the
	// Retry-After, or ask another node.
	ProblemCatchingUp = "urn:dcplane:problem:catching-up"
	// ProblemHalted: the node met a log entry it cannot apply and stopped.
	ProblemHalted = "urn:dcplane:problem:halted"
)

// ClusterStatus answers GET /v1/cluster: what the answering node knows.
type ClusterStatus = wire.ClusterStatus

// ClusterMember is one node of the cluster's configuration.
type ClusterMember = wire.ClusterMember

// JoinRequest is POST /v1/cluster/join: add a node to the cluster.
type JoinRequest = wire.JoinRequest

// Errors a Controller returns for the server to map onto problems. Those a
// controller node returns are package wire's, under the same names.
var (
	// ErrNotLeader means the node cannot accept the write; NotLeaderError
	// carries where the leader is.
	ErrNotLeader = wire.ErrNotLeader
	// ErrNoInventory means no site inventory has been loaded yet.
	ErrNoInventory = wire.ErrNoInventory
	// ErrNotFound means the named object does not exist.
	ErrNotFound = errors.New("api: not found")
)

// NotLeaderError is ErrNotLeader with the leader's API address, when known.
type NotLeaderError = wire.NotLeaderError
