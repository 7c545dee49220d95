package api

import (
	"time"

	"github.com/dcplane/dcplane/controller/placement"
)

// PlacementRequest is the body of POST /v1/placements and
// POST /v1/reservations: a workload and how many replicas of it to place.
type PlacementRequest struct {
	Name          string            `json:"name" yaml:"name"`
	System        string            `json:"system,omitempty" yaml:"system,omitempty"` // the owning information system
	Replicas      int               `json:"replicas" yaml:"replicas"`
	CPUMillicores int64             `json:"cpu_millicores" yaml:"cpu_millicores"`
	MemoryMiB     int64             `json:"memory_mib" yaml:"memory_mib"`
	GPUs          int               `json:"gpus,omitempty" yaml:"gpus,omitempty"`
	Watts         float64           `json:"watts,omitempty" yaml:"watts,omitempty"`             // declared per replica
	Utilisation   float64           `json:"utilisation,omitempty" yaml:"utilisation,omitempty"` // 0..1: watts from the server's power model instead
	Spread        string            `json:"spread,omitempty" yaml:"spread,omitempty"`           // server, rack, row, feed or hall
	Strategy      string            `json:"strategy,omitempty" yaml:"strategy,omitempty"`       // binpack (default) or spread
	BothFeeds     bool              `json:"both_feeds,omitempty" yaml:"both_feeds,omitempty"`   // every replica on a server fed A and B
	Profile       []float64         `json:"profile,omitempty" yaml:"profile,omitempty"`         // 24 hourly load factors in [0,1]
	Hall          string            `json:"hall,omitempty" yaml:"hall,omitempty"`
	Row           string            `json:"row,omitempty" yaml:"row,omitempty"`
	Labels        map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"` // required rack labels
	Priority      int               `json:"priority,omitempty" yaml:"priority,omitempty"`
	DryRun        bool              `json:"dry_run,omitempty" yaml:"dry_run,omitempty"`
	Explain       bool              `json:"explain,omitempty" yaml:"explain,omitempty"`
	TTL           string            `json:"ttl,omitempty" yaml:"ttl,omitempty"` // reservations: how long it holds, e.g. "15m"
}

// engine is the request as the placement engine takes it.
func (r *PlacementRequest) engine() placement.Request {
	return placement.Request{Name: r.Name, System: r.System, Replicas: r.Replicas,
		CPUMillicores: r.CPUMillicores, MemoryMiB: r.MemoryMiB, GPUs: r.GPUs,
		Watts: r.Watts, Utilisation: r.Utilisation, Spread: placement.Domain(r.Spread), Strategy: r.Strategy,
		BothFeeds: r.BothFeeds, Profile: r.Profile, Hall: r.Hall, Row: r.Row, Labels: r.Labels, Priority: r.Priority}
}

// requestOut is the engine's request in the API's form.
func requestOut(r placement.Request) PlacementRequest {
	return PlacementRequest{Name: r.Name, System: r.System, Replicas: r.Replicas,
		CPUMillicores: r.CPUMillicores, MemoryMiB: r.MemoryMiB, GPUs: r.GPUs,
		Watts: r.Watts, Utilisation: r.Utilisation, Spread: string(r.Spread), Strategy: r.Strategy,
		BothFeeds: r.BothFeeds, Profile: r.Profile, Hall: r.Hall, Row: r.Row, Labels: r.Labels, Priority: r.Priority}
}

// Placement answers POST /v1/placements and GET /v1/placements/{id}.
type Placement struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	System     string           `json:"system,omitempty"`
	Status     string           `json:"status"` // placed or reserved
	DryRun     bool             `json:"dry_run,omitempty"`
	Watts      float64          `json:"watts"` // declared, all replicas
	CreatedAt  time.Time        `json:"created_at"`
	ExpiresAt  *time.Time       `json:"expires_at,omitempty"` // reservations
	Replicas   []Replica        `json:"replicas"`
	Candidates []Candidate      `json:"candidates,omitempty"` // with explain
	Request    PlacementRequest `json:"request"`
}

// Replica is where one replica of a placement runs.
type Replica struct {
	Replica int      `json:"replica"`
	Server  string   `json:"server"`
	Rack    string   `json:"rack"`
	Row     string   `json:"row"`
	Hall    string   `json:"hall"`
	Feeds   []string `json:"feeds"`
	Watts   float64  `json:"watts"`
}

// Candidate is one of the best places the engine weighed, with its scores.
type Candidate struct {
	Rack   string             `json:"rack"`
	Server string             `json:"server"`
	Score  float64            `json:"score"`
	Scores map[string]float64 `json:"scores,omitempty"`
}

// PlacementList answers GET /v1/placements.
type PlacementList struct {
	Placements []Placement `json:"placements"`
}
