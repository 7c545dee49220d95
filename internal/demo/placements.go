package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/sim"
)

// Placed is what PlaceWorkloads placed and what did not fit.
type Placed struct {
	Workloads, Replicas int     // placed
	Watts               float64 // declared power of the replicas placed
	Refused             []Refusal
}

// Refusal is a workload that did not fit, and the engine's binding reason.
type Refusal struct {
	Name     string
	Replicas int
	Watts    float64 // declared per replica
	Reason   string
}

// PlaceWorkloads places each of ws through the API, in order, once the
// controller has measured every rack (so that the engine weighs their
// measured peaks, not only what was declared). Each goes with the
// idempotency key "demo-" + its name, so that a demo run again on the same
// data directory places nothing twice. It writes to w a line for each
// workload that does not fit, with the binding reason, and the total
// placed. It fails on any answer but a placement or a 409 "does not fit".
func (d *Demo) PlaceWorkloads(ctx context.Context, ws []api.PlacementRequest, w io.Writer) (Placed, error) {
	var out Placed
	fmt.Fprintf(w, "placing %d workloads once every rack is measured…\n", len(ws))
	if err := d.waitMeasured(ctx); err != nil {
		return out, err
	}
	for i := range ws {
		req := &ws[i]
		p, err := d.client.Place(ctx, req, api.PlaceOptions{Key: "demo-" + req.Name})
		var prob *api.Problem
		switch {
		case err == nil:
			out.Workloads++
			out.Replicas += len(p.Replicas)
			out.Watts += p.Watts
		case errors.As(err, &prob) && prob.Type == api.ProblemInfeasible:
			r := Refusal{Name: req.Name, Replicas: req.Replicas, Watts: req.Watts, Reason: prob.Detail}
			out.Refused = append(out.Refused, r)
			fmt.Fprintf(w, "  did not fit: %s (%d × %.0f W): %s\n", r.Name, r.Replicas, r.Watts, r.Reason)
		default:
			return out, fmt.Errorf("placing %s: %w", req.Name, err)
		}
	}
	fmt.Fprintf(w, "placed %d of %d workloads: %d replicas, %.1f kW declared (dcplane placement ls)\n\n",
		out.Workloads, len(ws), out.Replicas, out.Watts/1000)
	return out, nil
}

// waitMeasured waits until the controller knows the draw of every rack (but
// those a silenced device keeps stale) and has since done the accounting
// that placement reads rack peaks from. Past a bound it goes on regardless:
// the engine then counts what was declared where no peak is known.
func (d *Demo) waitMeasured(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 10*d.interval+30*time.Second)
	defer cancel()
	t := time.NewTicker(d.interval / 4)
	defer t.Stop()
	for !d.measured(wctx) {
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.log.Warn("placing before every rack is measured")
			return nil
		case <-t.C:
		}
	}
	// The leader records peaks every AccountEvery (d.interval here): after
	// one more, and a little, its record holds every rack.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d.interval + d.interval/2):
		return nil
	}
}

// measured says whether the controller knows every rack's draw but at most
// one per silenced device.
func (d *Demo) measured(ctx context.Context) bool {
	rep, err := d.node.Report(ctx)
	if err != nil {
		return false
	}
	stale := 0
	for _, k := range rep.Racks {
		if k.DrawWatts == nil {
			stale++
		}
	}
	return stale <= d.silenced
}

// placedLoads is, rack by rack, the load of the placements of l that run
// (not reservations): one sim.PlacedLoad per replica, its declared watts
// shaped by its workload's profile.
func placedLoads(l *api.PlacementList) map[string][]sim.PlacedLoad {
	out := map[string][]sim.PlacedLoad{}
	for _, p := range l.Placements {
		if p.Status != state.StatusPlaced {
			continue
		}
		for _, r := range p.Replicas {
			out[r.Rack] = append(out[r.Rack], sim.PlacedLoad{Watts: r.Watts, Profile: p.Request.Profile})
		}
	}
	return out
}

// followPlacements makes the simulated site follow the controller's
// placements: at once, then every period, it lists them and sets each
// rack's placed load, until ctx is done. A failed listing leaves the site
// as it was; failures are logged when they start and when they end.
func followPlacements(ctx context.Context, c *api.Client, s *sim.Site, every time.Duration, log *slog.Logger) {
	log = log.With("component", "sim-follow")
	t := time.NewTicker(every)
	defer t.Stop()
	var failing string // the last failure's message, "" while all goes well
	for {
		msg := ""
		l, err := c.Placements(ctx, "")
		if err == nil {
			err = s.SetPlaced(placedLoads(l))
		}
		if err != nil {
			msg = err.Error()
		}
		switch {
		case ctx.Err() != nil:
			return
		case msg != "" && msg != failing:
			log.Warn("following placements", "err", err)
		case msg == "" && failing != "":
			log.Info("following placements again")
		}
		failing = msg
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
