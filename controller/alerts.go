package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/controller/notify"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/wire"
)

// maxAgents bounds how many agents' last-seen times the leader keeps: an
// agent name comes from the request, and memory must not grow with a
// caller's inventiveness.
const maxAgents = 1024

// Notifier delivers alerts to people. *notify.Notifier (package
// controller/notify, Alertmanager's v2 API) is one.
type Notifier interface {
	// Send hands over the active alerts of one evaluation at now (pending,
	// firing, silenced: the Notifier picks what to post). It must not
	// block: the leader calls it from its alert loop.
	Send(active []alerts.Alert, now time.Time)
	// Restore tells the Notifier which alerts the replicated state holds
	// firing, when this node becomes leader: the next Send sends again
	// those still firing and resolves the others.
	Restore(firing []alerts.Alert)
}

// alerting is the leader's side of the alerts: the evaluator, the history
// forecasts are made from, the agents heard from, and the notifier. Its
// mutex serialises every change of the alert state on this node (an
// evaluation and its commit, an ack, a silence), so that the evaluator's
// state and the replicated one move in step.
type alerting struct {
	ev       *alerts.Evaluator
	notifier Notifier // nil: alerts are listed and logged only
	fc       forecast.Forecaster

	mu       sync.Mutex
	leading  bool      // the evaluator holds the replicated state of this leadership
	since    time.Time // when this node began its leadership's evaluations
	hist     *forecast.History
	forecast *forecastSet
	lastFc   time.Time // when forecast was made

	agentsMu sync.Mutex
	agents   map[string]time.Time // agent name → last push, while leading
	// pushed holds a token once an agent has pushed since the alert loop
	// last looked: the loop evaluates soon after, not at its next tick.
	pushed chan struct{}

	active atomic.Pointer[wire.AlertList] // of the last evaluation
}

func newAlerting(cfg alerts.Config, notifier Notifier) (*alerting, error) {
	ev, err := alerts.NewEvaluator(cfg)
	if err != nil {
		return nil, fmt.Errorf("alert thresholds: %w", err)
	}
	return &alerting{ev: ev, notifier: notifier, hist: forecast.NewHistory(0, 0), agents: map[string]time.Time{},
		pushed: make(chan struct{}, 1)}, nil
}

// reset forgets what this node knew as leader: a new leadership restores
// the replicated alert state and starts its history and agents afresh.
func (a *alerting) reset() {
	a.mu.Lock()
	a.leading, a.since, a.lastFc, a.forecast = false, time.Time{}, time.Time{}, nil
	a.hist = forecast.NewHistory(0, 0)
	a.mu.Unlock()
	a.agentsMu.Lock()
	clear(a.agents)
	a.agentsMu.Unlock()
	a.active.Store(nil)
}

// heard records that agent pushed at now.
func (a *alerting) heard(agent string, now time.Time) {
	a.agentsMu.Lock()
	defer a.agentsMu.Unlock()
	if _, ok := a.agents[agent]; ok || len(a.agents) < maxAgents {
		a.agents[agent] = now
	}
	select {
	case a.pushed <- struct{}{}:
	default:
	}
}

func (a *alerting) agentsSeen() map[string]time.Time {
	a.agentsMu.Lock()
	defer a.agentsMu.Unlock()
	return maps.Clone(a.agents)
}

// openAlerting makes the node's alerting from cfg: its thresholds, and a
// notifier of cfg.Alertmanagers with its metrics on reg (returned, for the
// node to run) unless cfg.Notifier is given.
func openAlerting(cfg Config, reg prometheus.Registerer) (*alerting, *notify.Notifier, error) {
	acfg := alerts.DefaultConfig()
	if cfg.Alerts != nil {
		acfg = *cfg.Alerts
	}
	var am *notify.Notifier
	if cfg.Notifier == nil && len(cfg.Alertmanagers) > 0 {
		var err error
		nc := notify.Config{Alertmanagers: cfg.Alertmanagers, Registerer: reg, Logger: cfg.Logger}
		if cfg.APIURL != "" {
			nc.GeneratorURL = strings.TrimSuffix(cfg.APIURL, "/") + "/v1/alerts"
		}
		am, err = notify.New(nc)
		if err != nil {
			return nil, nil, err
		}
		cfg.Notifier = am
	}
	al, err := newAlerting(acfg, cfg.Notifier)
	return al, am, err
}

// pushSettle is how long after an agent's push the leader evaluates the
// alerts. A push is heard as it starts (heard comes before the window
// takes its polls), and a batch is in the window well within this; it
// also bounds the evaluations pushes cause to 1/pushSettle a second,
// however many agents push.
const pushSettle = 50 * time.Millisecond

// alertLoop is the leader's side of the alerts: at once, then every
// AccountEvery and pushSettle after an agent's push, it evaluates the
// rules on the telemetry and the replicated state, commits what changed
// and hands the alerts to the notifier. Evaluating on a push is what
// makes an alert without a sustain time (a rack over its budget) reach
// Alertmanager within a poll interval plus the agent's flush: on the tick
// alone it waited up to one more AccountEvery (one poll interval in the
// demo). It returns when ctx is done.
func (n *Node) alertLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.AccountEvery)
	defer t.Stop()
	settle := time.NewTimer(pushSettle)
	defer settle.Stop()
	for {
		if n.store.IsLeader() {
			n.evaluate(ctx, n.cfg.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			continue
		case <-n.alerting.pushed:
		}
		settle.Reset(pushSettle)
		select {
		case <-ctx.Done():
			return
		case <-settle.C:
		}
		// Pushes during the settle are in this evaluation: their token
		// would only evaluate again.
		select {
		case <-n.alerting.pushed:
		default:
		}
	}
}

// evaluate runs one evaluation at now.
func (n *Node) evaluate(ctx context.Context, now time.Time) {
	a := n.alerting
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.leading && !n.takeOver(ctx, now) {
		return
	}
	n.resync()
	v := n.store.State()
	if v.Site() == nil {
		return
	}
	rep := power.Compute(v.Site(), budgets{v}, n.tel, now)
	a.hist.ObserveReport(rep)
	n.refreshForecasts(rep, now)
	in := alerts.Input{Site: v.Site(), Budgets: v.BudgetOverrides(), Devices: alerts.ReadDevices(v.Site(), n.tel, now),
		Agents: a.agentsSeen(), Since: a.since, Declared: declared(v), Forecasts: a.forecast.alertInput(),
		Servers: readServers(v.Site(), n.tel, now)}
	res := a.ev.Evaluate(in, now)
	if len(res.Transitions) > 0 {
		n.commitAlerts(ctx, res.Transitions, now)
	}
	a.active.Store(&wire.AlertList{At: now, Alerts: res.Active})
	if a.notifier != nil {
		a.notifier.Send(res.Active, now)
	}
}

// takeOver starts this node's leadership of the alerts, once its state
// holds every earlier leader's writes: the evaluator and the notifier
// take the replicated alert state. It says whether it did.
func (n *Node) takeOver(ctx context.Context, now time.Time) bool {
	a := n.alerting
	bctx, cancel := context.WithTimeout(ctx, advertiseTimeout)
	defer cancel()
	if err := n.store.Barrier(bctx); err != nil {
		n.log.Warn("taking over the alerts", "err", err)
		return false
	}
	st := n.store.State().Alerts()
	a.ev.Restore(st)
	if a.notifier != nil {
		a.notifier.Restore(firingList(st))
	}
	a.leading, a.since = true, now
	n.log.Info("alerts taken over", "firing", len(st.Firing), "silences", len(st.Silences))
	return true
}

// resync restores the evaluator from the replicated state when the two
// disagree on what fires, what is acked or what is silenced: a commit
// that failed, or a backup restored. Pending alerts start again.
func (n *Node) resync() {
	a := n.alerting
	want := n.store.State().Alerts()
	if sameAlertState(a.ev.State(), want) {
		return
	}
	n.log.Warn("alert state differs from the replicated one; restoring it", "firing", len(want.Firing))
	a.ev.Restore(want)
}

// sameAlertState compares what of two alert states the replicated log
// decides: the firing IDs with their acks, and the silences. Times compare
// as instants: the log holds them in UTC, the evaluator as given.
func sameAlertState(x, y alerts.State) bool {
	if len(x.Firing) != len(y.Firing) || len(x.Silences) != len(y.Silences) {
		return false
	}
	for id, ax := range x.Firing {
		ay, ok := y.Firing[id]
		if !ok || !sameAck(ax.Ack, ay.Ack) {
			return false
		}
	}
	for id, sx := range x.Silences {
		sy, ok := y.Silences[id]
		if !ok || sx.By != sy.By || sx.Why != sy.Why || !sx.At.Equal(sy.At) || !sx.Until.Equal(sy.Until) {
			return false
		}
	}
	return true
}

func sameAck(x, y *alerts.Ack) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.By == y.By && x.Why == y.Why && x.At.Equal(y.At)
}

// commitAlerts commits an evaluation's transitions as one command. On
// failure the evaluator is left ahead of the log; resync puts it back at
// the next evaluation, which finds the transitions again.
func (n *Node) commitAlerts(ctx context.Context, ts []alerts.Transition, now time.Time) {
	if _, err := n.store.Apply(ctx, state.RecordAlerts{Transitions: ts, At: now}); err != nil {
		n.log.Warn("committing alert transitions", "transitions", len(ts), "err", err)
		return
	}
	for _, t := range ts {
		n.m.transitions.WithLabelValues(string(t.Kind)).Inc()
		if t.Alert != nil {
			n.log.Info("alert "+string(t.Kind), "id", t.ID, "severity", t.Alert.Severity, "summary", t.Alert.Summary)
		} else {
			n.log.Info("alert "+string(t.Kind), "id", t.ID, "why", t.Why)
		}
	}
}

// firingList lists a state's firing alerts by ID.
func firingList(st alerts.State) []alerts.Alert {
	out := make([]alerts.Alert, 0, len(st.Firing))
	for _, id := range slices.Sorted(maps.Keys(st.Firing)) {
		out = append(out, st.Firing[id])
	}
	return out
}

// Alerts lists the pending and firing alerts of the last evaluation, with
// their acks and silences as the replicated state holds them now (an ack
// shows at once, not at the next evaluation). Until this leader has
// evaluated, it lists the replicated firing alerts. Only the leader
// evaluates.
func (n *Node) Alerts(context.Context) (*wire.AlertList, error) {
	if !n.store.IsLeader() {
		return nil, n.leaderError(store.ErrNotLeader)
	}
	st := n.store.State().Alerts()
	out := &wire.AlertList{Alerts: firingList(st)}
	if l := n.alerting.active.Load(); l != nil {
		out = &wire.AlertList{At: l.At, Alerts: slices.Clone(l.Alerts)}
	}
	for i := range out.Alerts {
		a := &out.Alerts[i]
		a.Ack, a.Silence = nil, nil
		if f, ok := st.Firing[a.ID]; ok && a.Status == alerts.StatusFiring {
			a.Ack = f.Ack
		}
		if s, ok := st.Silences[a.ID]; ok {
			a.Silence = &s
		}
	}
	return out, nil
}

// AckAlert records through the log that by takes the firing alert id on.
func (n *Node) AckAlert(ctx context.Context, id, by, why string) (*alerts.Alert, error) {
	t := alerts.Transition{Kind: alerts.Acked, ID: id, At: n.cfg.Now(), By: by, Why: why}
	if err := n.changeAlerts(ctx, t); err != nil {
		return nil, err
	}
	a := n.store.State().Alerts().Firing[id]
	if s, ok := n.store.State().Alerts().Silences[id]; ok {
		a.Silence = &s
	}
	return &a, nil
}

// SilenceAlert records through the log that notifications of alert id
// stop for d. The ID must name a rule; the alert need not fire (a silence
// outlives its alert, and may precede it).
func (n *Node) SilenceAlert(ctx context.Context, id, by, why string, d time.Duration) (*alerts.Silence, error) {
	rule, _, _ := strings.Cut(id, "{")
	if !knownRule(alerts.Rule(rule)) || !strings.HasSuffix(id, "}") {
		return nil, fmt.Errorf("alert ID %q: want RULE{label=value,…} as dcplane alerts ls shows it: %w", id, wire.ErrUnknownRule)
	}
	now := n.cfg.Now()
	t := alerts.Transition{Kind: alerts.Silenced, ID: id, At: now, By: by, Why: why, Until: now.Add(d)}
	if err := n.changeAlerts(ctx, t); err != nil {
		return nil, err
	}
	s := n.store.State().Alerts().Silences[id]
	return &s, nil
}

// changeAlerts commits a person's transition and applies it to the
// evaluator, in step with the evaluations. Only the leader can. The call's
// audit record rides in the transition's entry (propose).
func (n *Node) changeAlerts(ctx context.Context, t alerts.Transition) error {
	a := n.alerting
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := n.propose(ctx, state.RecordAlerts{Transitions: []alerts.Transition{t}, At: t.At}); err != nil {
		return n.leaderError(err)
	}
	n.m.transitions.WithLabelValues(string(t.Kind)).Inc()
	n.log.Info("alert "+string(t.Kind), "id", t.ID, "by", t.By, "why", t.Why)
	if a.leading {
		_ = a.ev.Apply(t) // the log took it: so does the evaluator's copy of its state
	}
	return nil
}

func knownRule(r alerts.Rule) bool {
	for _, i := range alerts.Rules() {
		if i.Rule == r {
			return true
		}
	}
	return false
}
