package alerts

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Severity says how urgently an alert needs a person.
type Severity string

// The severities, most urgent first.
const (
	Critical Severity = "critical" // act now: a breaker, a redundancy or a budget is at stake
	Warning  Severity = "warning"  // act today: a limit is near or a margin is gone
)

// Rule names an alert rule; it is the alert's alertname.
type Rule string

// The rules. Each has one severity; see RuleInfo for it and its runbook.
const (
	// RackPowerWarning: a rack's draw at or above Config.Rack.Warning of
	// its budget, sustained.
	RackPowerWarning Rule = "RackPowerWarning"
	// RackPowerCritical: at or above Config.Rack.Critical, sustained.
	RackPowerCritical Rule = "RackPowerCritical"
	// RackOverBudget: above its budget; fires at once.
	RackOverBudget Rule = "RackOverBudget"
	// RedundancyLost: were a feed lost, a phase of a PDU left would carry
	// more than its derated breaker; fires at once.
	RedundancyLost Rule = "RedundancyLost"
	// PhaseCurrentHigh: a phase's current at or above Config.Phase.Current
	// of its breaker rating, sustained.
	PhaseCurrentHigh Rule = "PhaseCurrentHigh"
	// PhaseImbalance: a PDU's phases unequally loaded, sustained.
	PhaseImbalance Rule = "PhaseImbalance"
	// CoolingNPlus1Lost: a row's IT load above its cooling without its
	// largest unit, sustained.
	CoolingNPlus1Lost Rule = "CoolingNPlus1Lost"
	// InletTemperatureHigh: a rack's (or a cooling unit's rack sensors')
	// inlet above Config.Inlet.LimitCelsius, sustained.
	InletTemperatureHigh Rule = "InletTemperatureHigh"
	// CapacityForecast: a rack, row or hall forecast to reach its budget
	// within Config.Forecast.Days.
	CapacityForecast Rule = "CapacityForecast"
	// TelemetryStale: a device without fresh readings, sustained; the
	// threshold alerts that need its readings hold meanwhile.
	TelemetryStale Rule = "TelemetryStale"
	// AgentDown: an agent not heard from within
	// Config.Telemetry.AgentDownAfter.
	AgentDown Rule = "AgentDown"
	// DeclaredPowerExceeded: a rack's measured draw well above its
	// declared power, sustained.
	DeclaredPowerExceeded Rule = "DeclaredPowerExceeded"
	// PSUFeedMiswired: a server's PSUs draw from one feed though the
	// inventory puts them on two (the cross-check's sums), sustained.
	PSUFeedMiswired Rule = "PSUFeedMiswired"
	// PSUNoDraw: a server's PSU draws nothing while the server draws
	// power, sustained.
	PSUNoDraw Rule = "PSUNoDraw"
	// FeedPowerUnexplained: a feed's PDUs and its servers' PSUs disagree
	// beyond Config.CrossCheck's tolerance, sustained.
	FeedPowerUnexplained Rule = "FeedPowerUnexplained"
)

// RuleInfo is what every alert of a rule shares.
type RuleInfo struct {
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Runbook  string   `json:"runbook"` // what to do first, for the person paged
}

var ruleInfo = map[Rule]RuleInfo{
	RackPowerWarning:      {Severity: Warning, Runbook: "See what grew (dcplane rack show RACK); move or cap workloads before the rack reaches its budget: new placements will not fit."},
	RackPowerCritical:     {Severity: Critical, Runbook: "The rack is near its budget: stop placing on it (dcplane rack show RACK) and move the largest movable workload."},
	RackOverBudget:        {Severity: Critical, Runbook: "The rack draws more than its budget: shed or move load now, and find out what was placed or started outside dcplane."},
	RedundancyLost:        {Severity: Critical, Runbook: "The rack no longer fits on one feed: a feed failure would trip the PDU left. Shed load (dcplane whatif feed-off FEED) before any feed maintenance."},
	PhaseCurrentHigh:      {Severity: Critical, Runbook: "The phase is at its breaker's continuous rating: move servers to a lighter phase or another rack before the breaker trips."},
	PhaseImbalance:        {Severity: Warning, Runbook: "Rebalance the PDU's outlets across phases at the next maintenance window; the heaviest phase limits the rack."},
	CoolingNPlus1Lost:     {Severity: Warning, Runbook: "The row's IT load no longer fits without its largest cooling unit: check unit states (dcplane whatif cooling-off UNIT), defer placements in the row."},
	InletTemperatureHigh:  {Severity: Warning, Runbook: "Inlet above ASHRAE's recommended 27 °C: check the row's cooling units, blanking panels and containment doors."},
	CapacityForecast:      {Severity: Warning, Runbook: "At its trend the object reaches its budget within the horizon: plan capacity (new racks, budget changes) or move growth elsewhere."},
	TelemetryStale:        {Severity: Warning, Runbook: "No fresh readings: check the device's network and SNMP credentials and its agent; alerts that need its readings are held meanwhile."},
	AgentDown:             {Severity: Critical, Runbook: "The agent stopped pushing: its devices go stale. Check the agent's host, its dcplane agent process and its path to the controllers."},
	DeclaredPowerExceeded: {Severity: Warning, Runbook: "The rack draws well above what its placements declare: correct the declared power of its workloads, or find the load no placement accounts for."},
	PSUFeedMiswired:       {Severity: Warning, Runbook: "The server's PSUs share one feed: a failure of that feed takes it down. Trace its power cords (dcplane server ls --rack RACK) and move one to the other feed's PDU at the next window."},
	PSUNoDraw:             {Severity: Warning, Runbook: "The server runs on its other PSUs only: check the PSU's cord, its PDU outlet and the PSU itself (its BMC's SEL); replace it before the other feed's maintenance."},
	FeedPowerUnexplained:  {Severity: Warning, Runbook: "The feed's PDUs and its servers' BMCs disagree: look for a device missing from the inventory, a server inventoried in another rack, or a server without a BMC reading (dcplane server ls --rack RACK)."},
}

// Rules lists every rule with its severity and runbook, by name.
func Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(ruleInfo))
	for r, i := range ruleInfo {
		i.Rule = r
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b RuleInfo) int { return cmp.Compare(a.Rule, b.Rule) })
	return out
}

// Kind says what sort of object an alert is about.
type Kind string

// The kinds of object.
const (
	KindRack  Kind = "rack"
	KindPDU   Kind = "pdu"
	KindPhase Kind = "phase" // a phase of a PDU
	KindFeed  Kind = "feed"  // a rack's feed, as lost in RedundancyLost
	KindRow   Kind = "row"
	KindHall  Kind = "hall"
	KindUnit  Kind = "cooling-unit"
	KindAgent Kind = "agent"
	// KindServer is a server, named by its BMC's readings.
	KindServer Kind = "server"
)

// Object is what an alert is about: its kind, its own ID fields and those
// of where it sits (a PDU's rack, row and hall). For RedundancyLost the
// feed is the one lost and the PDU and phase those that would overload.
type Object struct {
	Kind   Kind   `json:"kind"`
	Site   string `json:"site,omitempty"`
	Hall   string `json:"hall,omitempty"`
	Row    string `json:"row,omitempty"`
	Rack   string `json:"rack,omitempty"`
	PDU    string `json:"pdu,omitempty"`
	Phase  int    `json:"phase,omitempty"` // 1-based; 0 when not a phase
	Feed   string `json:"feed,omitempty"`
	Unit   string `json:"unit,omitempty"`
	Agent  string `json:"agent,omitempty"`
	Server string `json:"server,omitempty"`
}

// labels are the object's Alertmanager labels, in the order they are
// written into an ID.
func (o Object) labels() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("site", o.Site)
	add("hall", o.Hall)
	add("row", o.Row)
	add("rack", o.Rack)
	add("pdu", o.PDU)
	if o.Phase > 0 {
		add("phase", "L"+strconv.Itoa(o.Phase))
	}
	add("feed", o.Feed)
	add("unit", o.Unit)
	add("agent", o.Agent)
	add("server", o.Server)
	return out
}

// String names the object for people: "rack H1-R01-K01", "PDU K01-PA L2",
// "PDU K01-PB L2 if feed A fails".
func (o Object) String() string {
	switch o.Kind {
	case KindPhase:
		return "PDU " + o.PDU + " L" + strconv.Itoa(o.Phase)
	case KindFeed:
		return "PDU " + o.PDU + " L" + strconv.Itoa(o.Phase) + " if feed " + o.Feed + " fails"
	case KindPDU:
		return "PDU " + o.PDU
	case KindUnit:
		return "cooling unit " + o.Unit
	case KindRow:
		return "row " + o.Row
	case KindHall:
		return "hall " + o.Hall
	case KindAgent:
		return "agent " + o.Agent
	case KindServer:
		return "server " + o.Server
	}
	return "rack " + o.Rack
}

// ID is the stable fingerprint of the alert of rule r on object o:
// `Rule{label=value,…}` over the object's labels, e.g.
// `RackPowerWarning{site=dc,hall=H1,row=H1-R01,rack=H1-R01-K01}`. It names
// the alert in the replicated state, in acks and silences, and for
// Alertmanager (whose labels are the same).
func ID(r Rule, o Object) string {
	var b strings.Builder
	b.WriteString(string(r))
	b.WriteByte('{')
	for i, kv := range o.labels() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[0] + "=" + kv[1])
	}
	b.WriteByte('}')
	return b.String()
}

// Status is where an alert stands.
type Status string

// The statuses of an alert. An alert that resolves leaves the set.
const (
	StatusPending Status = "pending" // its condition holds, not yet for its `for` duration
	StatusFiring  Status = "firing"
)

// Alert is one alert: a rule's condition on one object, its measured value
// against its limit, and its history.
type Alert struct {
	ID       string   `json:"id"`
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Object   Object   `json:"object"`
	Status   Status   `json:"status"`
	// Value is the latest known measured value, Limit the threshold it is
	// judged against, both in Unit (W, A, °C, days, s, ratio).
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	// Summary says it for people, with the value and the limit.
	Summary string `json:"summary"`
	Runbook string `json:"runbook"`
	// Held is true while the readings the rule needs are unknown: the
	// alert keeps its state and its last known value, neither raised nor
	// cleared, and TelemetryStale says which device is missing.
	Held bool `json:"held,omitempty"`
	// ActiveSince is when the condition began to hold; FiringSince when
	// the alert fired (zero while pending).
	ActiveSince time.Time `json:"active_since"`
	FiringSince time.Time `json:"firing_since,omitzero"`
	// ClearSince is when a firing alert's value went past its clear level,
	// zero while it is not: it resolves once that has lasted ClearFor.
	ClearSince time.Time `json:"clear_since,omitzero"`
	// Ack is the acknowledgement of this firing, if any; it ends with it.
	Ack *Ack `json:"ack,omitempty"`
	// Silence is the silence on the alert's ID at the time of a Result, if
	// any (the state keeps silences apart from alerts).
	Silence *Silence `json:"silence,omitempty"`
}

// Ack says that a person has taken an alert on.
type Ack struct {
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Why string    `json:"why,omitempty"`
}

// Silence stops notifications of an alert ID until a time. It outlives the
// alert's resolution: an alert that fires again within it stays silent.
type Silence struct {
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
	Why   string    `json:"why,omitempty"`
}

// Labels are the alert's Alertmanager labels: alertname, severity and the
// object's site, hall, row, rack, pdu, phase, feed, unit and agent where
// they apply.
func (a *Alert) Labels() map[string]string {
	out := map[string]string{"alertname": string(a.Rule), "severity": string(a.Severity)}
	for _, kv := range a.Object.labels() {
		out[kv[0]] = kv[1]
	}
	return out
}

// Annotations are the alert's Alertmanager annotations: summary (with the
// value and the limit), runbook, value and limit, and who acknowledged it.
func (a *Alert) Annotations() map[string]string {
	out := map[string]string{
		"summary": a.Summary,
		"runbook": a.Runbook,
		"value":   strconv.FormatFloat(a.Value, 'g', 6, 64) + " " + a.Unit,
		"limit":   strconv.FormatFloat(a.Limit, 'g', 6, 64) + " " + a.Unit,
	}
	if a.Held {
		out["held"] = "readings unknown: value is the last known, state held"
	}
	if a.Ack != nil {
		out["acknowledged"] = a.Ack.By + " at " + a.Ack.At.UTC().Format(time.RFC3339) + ": " + a.Ack.Why
	}
	return out
}

// Notify says whether the alert should be sent to Alertmanager at now:
// firing and not silenced.
func (a *Alert) Notify(now time.Time) bool {
	return a.Status == StatusFiring && (a.Silence == nil || !now.Before(a.Silence.Until))
}
