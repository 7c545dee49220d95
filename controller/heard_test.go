package controller

import (
	"context"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestAgentNotHeardForAnotherHall: a push refused for halls its agent does
// not have does not count as that agent heard (its name is the pusher's to
// choose: an agent held to H1 naming itself agent-h2 would otherwise keep
// the real agent-h2's outage from being alerted); an accepted push does.
func TestAgentNotHeardForAnotherHall(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	push := func(agent, device string, halls []string) {
		b := &wire.Batch{Agent: agent, Seq: 1, Polls: []collectors.Status{{Device: device, At: time.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1000}}}}}
		if _, err := n.TakeTelemetry(context.Background(), b, halls); err != nil {
			t.Fatal(err)
		}
	}
	push("agent-h2", "H2-R01-K01-PA", []string{"H1"})
	if _, ok := n.alerting.agentsSeen()["agent-h2"]; ok {
		t.Error("a push refused for hall H2 by an H1 agent naming itself agent-h2: got agent-h2 heard, want not")
	}
	push("agent-h1", "H1-R01-K01-PA", []string{"H1"})
	if _, ok := n.alerting.agentsSeen()["agent-h1"]; !ok {
		t.Error("an accepted push: got agent-h1 not heard, want heard")
	}
}

// TestAgentNotHeardForNothing: a batch that the window takes nothing from
// (no polls, or only devices the inventory lacks) does not count as its
// agent heard: it would let anyone who may push keep any agent's outage
// from being alerted, under its name, at no cost.
func TestAgentNotHeardForNothing(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	for _, b := range []*wire.Batch{
		{Agent: "agent-empty", Seq: 1},
		{Agent: "agent-unknown", Seq: 1, Polls: []collectors.Status{{Device: "NO-SUCH-PDU", At: time.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1000}}}}},
	} {
		if _, err := n.TakeTelemetry(context.Background(), b, nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := n.alerting.agentsSeen()[b.Agent]; ok {
			t.Errorf("%s: a batch the window took nothing from: got the agent heard, want not", b.Agent)
		}
	}
}

// TestAgentNotHeardForAMixedBatch: a push that the window takes in part
// (its own hall's devices) but that also holds devices of halls its agent
// does not have does not count its agent heard either: the name is the
// pusher's, and half a forged batch must not keep another agent's outage
// from being alerted.
func TestAgentNotHeardForAMixedBatch(t *testing.T) {
	n := openNode(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	poll := func(device string) collectors.Status {
		return collectors.Status{Device: device, At: time.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1000}}}
	}
	b := &wire.Batch{Agent: "agent-h2", Seq: 1, Polls: []collectors.Status{poll("H1-R01-K01-PA"), poll("H2-R01-K01-PA")}}
	if _, err := n.TakeTelemetry(context.Background(), b, []string{"H1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.alerting.agentsSeen()["agent-h2"]; ok {
		t.Error("an H1 agent's batch with an H2 device, named agent-h2: got agent-h2 heard, want not")
	}
}
