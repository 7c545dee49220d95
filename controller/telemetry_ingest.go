package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/controller/wire"
)

// TakeTelemetry takes an agent's polls into the telemetry window, as
// Ingest does, for the devices of the halls the agent is assigned (every
// hall when halls is empty), and says what it refused and why: polls of
// devices in other halls (telemetry.ReasonUnassigned, never applied),
// polls from the future, readings that are not measurements or beyond
// what their device can carry (the inventory's ratings: telemetry.Catalog).
// Polls of devices the inventory lacks are dropped and counted, as by
// Ingest.
func (n *Node) TakeTelemetry(_ context.Context, b *wire.Batch, halls []string) (telemetry.Result, error) {
	if !n.store.IsLeader() {
		return telemetry.Result{}, n.leaderError(store.ErrNotLeader)
	}
	known, cat := n.knownDevices(), n.catalog()
	polls := b.Polls[:0:0]
	var unassigned []telemetry.Problem
	for _, p := range b.Polls {
		switch d, _ := cat.Device(p.Device); {
		case !known[p.Device]:
			continue
		case len(halls) > 0 && !slices.Contains(halls, d.Hall):
			unassigned = append(unassigned, telemetry.Problem{Device: p.Device, Reason: telemetry.ReasonUnassigned,
				Detail: fmt.Sprintf("device %s is in hall %s; agent %s may report for halls %v only", p.Device, d.Hall, b.Agent, halls)})
			continue
		}
		polls = append(polls, p)
	}
	if unknown := len(b.Polls) - len(polls) - len(unassigned); unknown > 0 {
		n.m.unknown.Add(float64(unknown))
	}
	now := n.cfg.Now()
	res := n.tel.Take(polls, now)
	// The agent is heard once its polls are in the window (the evaluation
	// this wakes then sees them), and not when it pushed for halls it does
	// not have: a name in a batch is the pusher's to choose, and an agent
	// held to H1 must not keep another hall's agent from being missed.
	// Nor when it pushed nothing the window took: an empty batch, or one of
	// devices the inventory lacks, costs nothing to forge under any name.
	if len(unassigned) == 0 && len(polls) > 0 {
		n.alerting.heard(b.Agent, now)
	}
	n.m.polls.Add(float64(len(b.Polls)))
	if len(unassigned) > 0 {
		n.tel.Refuse(telemetry.ReasonUnassigned, len(unassigned))
		res.RefusedPolls[telemetry.ReasonUnassigned] += len(unassigned)
		res.Problems = append(unassigned[:min(len(unassigned), telemetry.MaxProblems)], res.Problems...)
		res.Problems = res.Problems[:min(len(res.Problems), telemetry.MaxProblems)]
		n.log.Warn("telemetry refused: devices outside the agent's halls", "agent", b.Agent, "halls", halls,
			"polls", len(unassigned), "first", unassigned[0].Device)
	}
	return res, nil
}

// catalog returns the telemetry catalog of the applied inventory, making it
// anew (and giving it to the window) when the inventory changed.
func (n *Node) catalog() *telemetry.Catalog {
	site := n.store.State().Site()
	if c := n.tel.Catalog(); c.Of(site) {
		return c
	}
	c := telemetry.NewCatalog(site)
	n.tel.SetCatalog(c)
	return c
}
