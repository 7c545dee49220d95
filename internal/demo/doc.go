// Package demo runs dcplane on one machine: the simulated site, an agent
// polling every device of it and a single-node controller, all on loopback,
// as 'dcplane demo' and 'dcplane bench demo' do; and the simulated site
// alone, for an agent run separately, as 'dcplane sim' does.
//
// The pieces:
//
//   - [Start] starts simulator, controller (with the site applied) and agent,
//     and applies the scenario of its [Config]: racks pushed over budget,
//     devices silenced. [Demo.Close] stops them all and waits for them.
//   - [Run] is the command: Start, a banner saying where the API listens, a
//     live summary line every [Config.SummaryEvery] until ctx is done.
//   - [RunSim] serves only the simulated site and writes the inventory with
//     the simulator's addresses, for 'dcplane agent --inventory'.
//   - [Site], [Community] and [Targets] are the shared small parts: the site
//     of N racks, the SNMP community kept in a file, and the agent targets of
//     a simulated site.
package demo
