package controller

import (
	"context"
	"time"

	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/controller/state"
)

// What of a node the external tests (package controller_test, which serve
// it over HTTP) reach into.

// ObserveHistory feeds the leader's forecast history the draw of k at at,
// as its power accounting does.
func (n *Node) ObserveHistory(k forecast.Key, at time.Time, watts float64) {
	a := n.alerting
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hist.Observe(k, at, watts)
}

// Evaluate runs one evaluation of the alerts, and of the forecasts, at now.
func (n *Node) Evaluate(ctx context.Context, now time.Time) { n.evaluate(ctx, now) }

// LogCodec is the body codec the node writes as the leader.
func (n *Node) LogCodec() state.Codec { return n.store.Codec() }

// NodeReads is the codec node announced, as this node's state holds it.
func (n *Node) NodeReads(node string) state.Codec { return n.store.State().NodeReads(node) }
