package controller

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"sync/atomic"
	"time"

	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/whatif"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Defaults of the placement loop.
const (
	// DefaultAccountEvery is how often the leader does its power accounting
	// for placement: records rack peaks and notes which racks are stale.
	DefaultAccountEvery = 10 * time.Second
	// DefaultPeakCommitEvery is how often the leader commits the racks'
	// recent peaks to the Raft log.
	DefaultPeakCommitEvery = 5 * time.Minute
	// keySweepEvery is how often the leader asks the state to forget old
	// idempotency keys when no reservation falls due sooner.
	keySweepEvery = time.Hour
	// placeAttempts bounds how often a decision is made again when the
	// state refuses it because the room went to a command committed since.
	placeAttempts = 3
	// explainTop is how many candidates an explained decision lists.
	explainTop = 5
)

// live is what the leader knows of its racks beyond the committed state:
// which are stale now and their peaks measured since it leads; and of its
// servers, their draws measured since it leads (see foldDraws), which
// placement takes only once committed.
type live struct {
	stale map[string]bool
	peaks map[string]float64
	draws *calibration.Record // the same from one overlay to the next
}

// Place decides where the replicas of req go and commits the placement
// through the Raft log. With a key, a request retried with the same key
// gets the placement the first one made and places nothing twice. A dry run
// decides and commits nothing. It fails with a *placement.FieldError for a
// malformed request and a *placement.Infeasible when the replicas do not fit.
func (n *Node) Place(ctx context.Context, req placement.Request, key string, dryRun, explain bool) (*state.Placement, []placement.Candidate, error) {
	return n.decide(ctx, req, key, dryRun, explain, 0)
}

// Reserve is Place for a reservation: it holds its room until ttl has passed
// unless confirmed with ConfirmReservation.
func (n *Node) Reserve(ctx context.Context, req placement.Request, key string, ttl time.Duration) (*state.Placement, error) {
	if ttl <= 0 {
		return nil, &placement.FieldError{Field: "ttl", Msg: fmt.Sprintf("must be a positive duration, got %v", ttl)}
	}
	p, _, err := n.decide(ctx, req, key, false, false, ttl)
	return p, err
}

func (n *Node) decide(ctx context.Context, req placement.Request, key string, dryRun, explain bool, ttl time.Duration) (_ *state.Placement, _ []placement.Candidate, err error) {
	start, committing := time.Now(), false
	defer func() { n.m.place.answered(start, dryRun, committing, err) }()
	if !n.store.IsLeader() {
		return nil, nil, n.leaderError(store.ErrNotLeader)
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	// The state records whole watts, rounded up: decide on them too, so
	// that a replica within a watt of a limit is not decided, refused and
	// decided again.
	req.Watts = math.Ceil(req.Watts)
	for attempt := 1; ; attempt++ {
		if p, ok := n.replay(key, dryRun); ok {
			if !sameRequest(p.Request, req) {
				return nil, nil, &placement.FieldError{Field: "Idempotency-Key", Msg: fmt.Sprintf(
					"%q was used for another request (placement %s); a retry must send the same body, a new request a new key", key, p.ID)}
			}
			return p, nil, nil
		}
		cmd, cands, err := n.decideOne(req, key, explain, ttl, dryRun)
		if err != nil {
			return nil, nil, err
		}
		if dryRun {
			return dryRunPlacement(cmd), cands, nil
		}
		// Commits run concurrently: Raft writes those that arrive together
		// in one batch, with one fsync.
		committing = true
		v, err := n.propose(ctx, cmd)
		n.settle(cmd, err)
		switch {
		case err == nil:
			p, _ := v.Placement(cmd.ID)
			n.log.Debug("placed", "id", cmd.ID, "name", req.Name, "system", req.System, "replicas", len(cmd.Assignments), "index", v.Index())
			return p, cands, nil
		case errors.Is(err, state.ErrOverbooked) && attempt < placeAttempts:
			n.log.Info("placement refused by the state, deciding again", "name", req.Name, "attempt", attempt, "err", err)
		case errors.Is(err, state.ErrDuplicatePlacement) && key != "":
			continue // the same key committed meanwhile: replayed at the top
		default:
			return nil, nil, n.leaderError(err)
		}
	}
}

// decideOne decides where req goes on the leader's working copy of the
// cluster and, unless this is a dry run, counts it there as in flight.
// Decisions are made one at a time, each on what the previous ones left.
func (n *Node) decideOne(req placement.Request, key string, explain bool, ttl time.Duration, dryRun bool) (state.Place, []placement.Candidate, error) {
	defer n.m.place.decided(time.Now())
	n.placeMu.Lock()
	defer n.placeMu.Unlock()
	sh, err := n.currentShadow(false)
	if err != nil {
		return state.Place{}, nil, err
	}
	opts := placement.Options{Explain: explain, TopN: explainTop}
	d, err := n.engine.Place(sh.cluster, req, opts)
	var inf *placement.Infeasible
	if errors.As(err, &inf) && sh.released != n.store.State().Released() {
		// Room freed since the shadow was built may hold it: no request
		// is refused for room that is free.
		if sh, err = n.currentShadow(true); err != nil {
			return state.Place{}, nil, err
		}
		d, err = n.engine.Place(sh.cluster, req, opts)
	}
	if err != nil {
		return state.Place{}, nil, err
	}
	cmd := state.Place{ID: newPlacementID(), Key: key, Request: req, Assignments: d.Assignments, At: n.cfg.Now()}
	if ttl > 0 {
		cmd.Reserve, cmd.ExpiresAt = true, cmd.At.Add(ttl)
	}
	if !dryRun {
		sh.hold(cmd)
	}
	return cmd, d.Candidates, nil
}

// replay returns the placement a key already made, unless this is a dry run.
func (n *Node) replay(key string, dryRun bool) (*state.Placement, bool) {
	if key == "" || dryRun {
		return nil, false
	}
	return n.store.State().PlacementByKey(key)
}

// sameRequest says whether two requests are the same as the log records
// them (JSON: a nil and an empty list or map are alike).
func sameRequest(a, b placement.Request) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// dryRunPlacement is what a Place command would record.
func dryRunPlacement(c state.Place) *state.Placement {
	p := &state.Placement{ID: c.ID, Key: c.Key, Status: state.StatusPlaced, Request: c.Request,
		Assignments: c.Assignments, CreatedAt: c.At}
	if c.Reserve {
		p.Status, p.ExpiresAt = state.StatusReserved, c.ExpiresAt
	}
	return p
}

// newPlacementID returns a fresh placement ID. It is drawn here, on the
// leader, and travels in the command: Apply draws nothing.
func newPlacementID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return "pl-" + hex.EncodeToString(b[:])
}

// Placements lists the placements and reservations, of one owning system
// when system is not empty.
func (n *Node) Placements(_ context.Context, system string) ([]*state.Placement, error) {
	v := n.store.State()
	if v.Site() == nil {
		return nil, errNoInventory
	}
	var out []*state.Placement
	for _, p := range v.Placements() {
		if system == "" || p.Request.System == system {
			out = append(out, p)
		}
	}
	return out, nil
}

// Placement returns one placement or reservation; state.ErrUnknownPlacement
// if there is none with that ID.
func (n *Node) Placement(_ context.Context, id string) (*state.Placement, error) {
	p, ok := n.store.State().Placement(id)
	if !ok {
		return nil, fmt.Errorf("placement %q: %w", id, state.ErrUnknownPlacement)
	}
	return p, nil
}

// RemovePlacement removes a placement or reservation and frees its room.
func (n *Node) RemovePlacement(ctx context.Context, id string) error {
	if _, err := n.propose(ctx, state.RemovePlacement{ID: id, At: n.cfg.Now()}); err != nil {
		return n.leaderError(err)
	}
	n.log.Info("placement removed", "id", id)
	return nil
}

// ConfirmReservation turns a live reservation into a placement.
func (n *Node) ConfirmReservation(ctx context.Context, id string) (*state.Placement, error) {
	v, err := n.propose(ctx, state.ConfirmReservation{ID: id, At: n.cfg.Now()})
	if err != nil {
		return nil, n.leaderError(err)
	}
	p, _ := v.Placement(id)
	return p, nil
}

// placementLoop is the leader's side of placement: every AccountEvery it
// does the power accounting, records each known rack draw as a peak and
// notes the stale racks; every PeakCommitEvery it commits the peaks; and it
// expires reservations when they fall due. It returns when ctx is done.
func (n *Node) placementLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.AccountEvery)
	defer t.Stop()
	var lastPeaks, lastSweep time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !n.store.IsLeader() {
			lastPeaks, lastSweep = time.Time{}, time.Time{}
			continue
		}
		now := n.cfg.Now()
		n.account(now)
		if now.Sub(lastPeaks) >= n.cfg.PeakCommitEvery {
			if n.commitPeaks(ctx, now) {
				lastPeaks = now
			}
		}
		if n.reservationDue(now) || now.Sub(lastSweep) >= keySweepEvery {
			if _, err := n.store.Apply(ctx, state.ExpireReservations{At: now}); err != nil {
				n.log.Warn("expiring reservations", "err", err)
			} else {
				lastSweep = now
			}
		}
	}
}

// account does the power accounting at now and refreshes the live overlay.
func (n *Node) account(now time.Time) {
	v := n.store.State()
	if v.Site() == nil {
		return
	}
	rep := power.Compute(v.Site(), budgets{v}, n.tel, now)
	l := &live{stale: map[string]bool{}, peaks: map[string]float64{}, draws: n.foldDraws(v, now)}
	for _, k := range rep.Racks {
		if k.DrawWatts == nil {
			// Unknown draw: placement counts it as taking nothing more
			// (unless a peak is known), except on a cluster that runs
			// without telemetry by choice.
			l.stale[k.ID] = !n.cfg.DeclaredOnly
			continue
		}
		n.peaks.Observe(k.ID, now, *k.DrawWatts)
	}
	l.peaks = n.peaks.Peaks(now)
	if old := n.live.Load(); old != nil && maps.Equal(old.stale, l.stale) && maps.Equal(old.peaks, l.peaks) {
		// Unchanged: keep the overlay the shadow was built with, which a
		// new one would make the next decision copy the cluster for.
		return
	}
	n.live.Store(l)
}

// commitPeaks commits the recorded peaks, and the servers' draws that
// changed; it says whether it did.
func (n *Node) commitPeaks(ctx context.Context, now time.Time) bool {
	peaks, draws := n.peaks.Peaks(now), n.changedDraws(now)
	if len(peaks) == 0 && len(draws) == 0 {
		return false
	}
	if _, err := n.store.Apply(ctx, state.RecordRackPeaks{Peaks: peaks, Horizon: n.peaks.Horizon(), Servers: draws, At: now}); err != nil {
		n.log.Warn("committing rack peaks", "err", err)
		return false
	}
	return true
}

// reservationDue says whether some reservation has expired at now.
func (n *Node) reservationDue(now time.Time) bool {
	for _, p := range n.store.State().Placements() {
		if p.Status == state.StatusReserved && !p.ExpiresAt.After(now) {
			return true
		}
	}
	return false
}

// liveOverlay is the atomic holder of the leader's live overlay.
type liveOverlay = atomic.Pointer[live]

// WhatIf says what would break if a feed were switched off (scenario
// "feed-off", target the feed, hall optional) or a cooling unit failed
// ("cooling-off", target the unit): on the measured draw of now, and on
// the declared placed and reserved power. Only the leader has telemetry.
func (n *Node) WhatIf(_ context.Context, scenario, target, hall string) (*whatif.Report, error) {
	if !n.store.IsLeader() {
		return nil, n.leaderError(store.ErrNotLeader)
	}
	v := n.store.State()
	if v.Site() == nil {
		return nil, errNoInventory
	}
	declared := map[string]float64{}
	v.Site().Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		placed, reserved := v.RackUsage(k.ID)
		declared[k.ID] = placed + reserved
		return true
	})
	in := whatif.Input{Site: v.Site(), Readings: whatif.WindowReadings{Window: n.tel, At: n.cfg.Now()}, Declared: declared}
	switch scenario {
	case whatif.ScenarioFeedOff:
		return in.FeedOff(target, hall)
	case whatif.ScenarioCoolingOff:
		return in.CoolingOff(target)
	}
	return nil, fmt.Errorf("what-if scenario %q: want %s or %s", scenario, whatif.ScenarioFeedOff, whatif.ScenarioCoolingOff)
}
