// Package alerts holds the alert rules the leader evaluates on live
// telemetry and the replicated state, their hysteresis, and the alert state
// that survives a failover (firing alerts, acks, silences).
//
// It is pure: no I/O and no clock. The caller builds an Input (the
// inventory, each device's readings or their absence, agents' last-seen
// times, declared power, forecasts), calls Evaluator.Evaluate with the
// time, commits the Transitions it returns through the Raft log and sends
// the firing alerts to Alertmanager. The wiring is the caller's:
//
//	ev, err := alerts.NewEvaluator(cfg)             // once; Restore(state) on becoming leader
//	in := alerts.Input{Site: site, Devices: alerts.ReadDevices(site, window, now), …}
//	res := ev.Evaluate(in, now)                     // each tick
//	for _, t := range res.Transitions { propose(t) } // state machine: State.Apply(t)
//	// API ack/silence: propose(Transition{Kind: Acked, …}); on commit, ev.Apply(t)
//
// # Rules
//
// Each rule judges one kind of object and has one severity (RuleInfo):
//
//   - RackPowerWarning, RackPowerCritical: a rack's draw (the sum of its
//     PDUs' input power) at or above 80 % and 95 % of its budget,
//     sustained Config.Rack.For. RackOverBudget: above its budget, at once.
//   - RedundancyLost: for each feed of a rack fed from two or more, were
//     that feed lost, each phase of each PDU left carrying its own current
//     plus its share of the lost PDUs' would exceed 80 % of its breaker
//     (inventory.DerateFactor). At once.
//   - PhaseCurrentHigh: a phase at or above 80 % of its breaker, sustained.
//     PhaseImbalance: a PDU's largest phase deviation from the mean of its
//     phases at or above 20 % of that mean, while the mean is at least 20 %
//     of the breaker.
//   - CoolingNPlus1Lost: a row's IT load above its cooling capacity less
//     its largest unit.
//   - InletTemperatureHigh: a rack's hottest PDU inlet probe, or a cooling
//     unit's hottest rack inlet sensor, above 27 °C (ASHRAE's recommended
//     limit).
//   - CapacityForecast: a rack, row or hall forecast (by package forecast)
//     to reach its budget within Config.Forecast.Days.
//   - TelemetryStale: a device not fresh, or a PDU without an input power
//     reading, sustained. AgentDown: an agent unheard for longer than
//     Config.Telemetry.AgentDownAfter.
//   - DeclaredPowerExceeded: a rack's measured draw well above its declared
//     power, sustained.
//   - PSUFeedMiswired, PSUNoDraw, FeedPowerUnexplained,
//     ServerDrawsFromOtherRack: the servers' PSUs (their BMCs, over IPMI)
//     against the PDUs, feed by feed (package crosscheck): a server whose
//     PSUs all draw from one feed, a PSU that draws nothing, a PDU that
//     measures more than its rack's servers explain, a server whose draw is
//     missing from its rack and shows on another's; beyond
//     Config.CrossCheck's tolerance, sustained. A stray server is one
//     alert: FeedPowerUnexplained is held (neither raised nor cleared) on
//     the two racks whose sums ServerDrawsFromOtherRack explains.
//
// A phase's current is its measured current; else its active power over
// its voltage; else its PDU's input power split evenly over its phases,
// over its voltage.
//
// # Hysteresis
//
// Every threshold alert has a fire level and a lower clear level: it fires
// when its value reaches the limit and the condition has held for the
// rule's `for` duration, and it resolves only once its value has stayed
// below the limit × (1 − Config.Hysteresis) for Config.ClearFor (inlet
// temperature: below the limit − Config.Inlet.BandCelsius; forecasts:
// beyond the days × (1 + Config.Hysteresis)). A value that dips under the
// limit but not under the clear level neither resolves the alert nor
// restarts a firing alert's clear timer; a pending alert whose condition
// stops holding is dropped. Over budget and redundancy lost have no `for`:
// they fire on the first reading past the limit.
//
// # Unknown is not zero
//
// A device that is stale, or left out of Input.Devices, makes every value
// read from it unknown. A threshold alert whose value is unknown is held:
// a firing alert keeps firing (marked Held, with its last known value),
// a pending one keeps its start but cannot fire, and none starts. The
// device raises TelemetryStale instead. So a stale PDU neither clears its
// rack's alerts (as 0 W would) nor raises them.
//
// # Identity and replicated state
//
// An alert's ID is its rule and its object's labels, e.g.
// RackPowerWarning{site=dc,hall=H1,row=H1-R01,rack=H1-R01-K01}: stable
// across evaluations, leaders and restarts, and the same labels
// Alertmanager gets (Alert.Labels, Alert.Annotations).
//
// State holds what survives a failover: the firing alerts with their
// FiringSince and Ack, and the silences by alert ID (a silence outlives
// the alert's resolution and expires at its Until). Transition is the
// command that changes it: Fired and Resolved from evaluation, Acked,
// Unacked, Silenced, Unsilenced and an operator's Resolved from people.
// State.Apply is deterministic and reads no clock. A new leader Restores
// the replicated State into its Evaluator: firing alerts go on firing
// until their values clear, pending ones start their `for` again.
package alerts
