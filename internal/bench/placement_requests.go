package bench

import (
	"bytes"
	"fmt"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/deploy"
)

// prefillChunk bounds the replicas of one pre-fill request: the city's
// workloads are cut into requests of at most this many, so that the state
// holds placements of the size platform teams ask for, not a few huge ones.
const prefillChunk = 8

// cityTemplates are the city's workloads (deploy/workloads/city.yaml), the
// shapes every speed request is made from.
func cityTemplates() ([]placement.Request, error) {
	ws, err := api.DecodeWorkloads(deploy.CityWorkloadsName, bytes.NewReader(deploy.CityWorkloads))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	out := make([]placement.Request, len(ws))
	for i, w := range ws {
		out[i] = engineRequest(&w)
	}
	return out, nil
}

// engineRequest is an API request as the engine takes it.
func engineRequest(r *api.PlacementRequest) placement.Request {
	return placement.Request{Name: r.Name, System: r.System, Replicas: r.Replicas,
		CPUMillicores: r.CPUMillicores, MemoryMiB: r.MemoryMiB, GPUs: r.GPUs,
		Watts: r.Watts, Utilisation: r.Utilisation, Spread: placement.Domain(r.Spread), Strategy: r.Strategy,
		BothFeeds: r.BothFeeds, Profile: r.Profile, Hall: r.Hall, Row: r.Row, Labels: r.Labels, Priority: r.Priority}
}

// apiRequest is an engine request as the API takes it.
func apiRequest(r *placement.Request) *api.PlacementRequest {
	return &api.PlacementRequest{Name: r.Name, System: r.System, Replicas: r.Replicas,
		CPUMillicores: r.CPUMillicores, MemoryMiB: r.MemoryMiB, GPUs: r.GPUs,
		Watts: r.Watts, Utilisation: r.Utilisation, Spread: string(r.Spread), Strategy: r.Strategy,
		BothFeeds: r.BothFeeds, Profile: r.Profile, Hall: r.Hall, Row: r.Row, Labels: r.Labels, Priority: r.Priority}
}

// prefillRequests are copies of the city's workloads, cut into requests of
// at most prefillChunk replicas, until their declared watts reach target.
func prefillRequests(templates []placement.Request, target float64) []placement.Request {
	var out []placement.Request
	var watts float64
	for copyN := 1; watts < target; copyN++ {
		for _, t := range templates {
			for chunk, left := 1, t.Replicas; left > 0 && watts < target; chunk++ {
				r := t
				r.Name = fmt.Sprintf("%s-c%d-%d", t.Name, copyN, chunk)
				r.Replicas = min(left, prefillChunk)
				left -= r.Replicas
				watts += float64(r.Replicas) * r.Watts
				out = append(out, r)
			}
		}
	}
	return out
}

// measuredRequests are round's n requests of the city's shapes, in turn,
// each of the given number of replicas.
func measuredRequests(templates []placement.Request, round, n, replicas int) []placement.Request {
	out := make([]placement.Request, n)
	for i := range out {
		r := templates[i%len(templates)]
		r.Name = fmt.Sprintf("bench-%s-r%d-%d", r.Name, round, i)
		r.Replicas = replicas
		out[i] = r
	}
	return out
}

// declaredWatts is the watts all replicas of rs declare.
func declaredWatts(rs []placement.Request) float64 {
	var w float64
	for i := range rs {
		w += float64(rs[i].Replicas) * rs[i].Watts
	}
	return w
}
