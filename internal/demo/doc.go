// Package demo runs dcplane on one machine: the simulated site, an agent
// polling every device of it and a single-node controller, all on loopback,
// as 'dcplane demo' and 'dcplane bench demo' do; and the simulated site
// alone, for an agent run separately, as 'dcplane sim' does.
//
// The pieces:
//
//   - [Start] starts simulator, controller (with the site applied) and agent,
//     and applies the scenario of its [Config]: racks pushed over budget,
//     devices silenced. The simulator follows the controller's placements,
//     listed through the API: each placed replica adds its watts, shaped by
//     its workload's daily profile, to its rack's draw. [Demo.Close] stops
//     them all and waits for them.
//   - [Demo.PlaceWorkloads] places workloads through the API once every rack
//     is measured, as a platform team would, and says what did not fit.
//   - [Run] is the command: Start, a banner saying where the API listens,
//     how to probe one simulated PDU (its address and [CommunityFile]) and
//     the [Scenarios], the workloads of [Config.Workloads] placed, a live
//     summary line every [Config.SummaryEvery] until ctx is done.
//   - [RunSim] serves only the simulated site and writes the inventory with
//     the simulator's addresses, for 'dcplane agent --inventory'; given a
//     controller, it follows that controller's placements too.
//   - [Site], [CityWorkloads], [Community] and [Targets] are the shared small
//     parts: the site of N racks, the city's workloads, the SNMP community
//     kept in a file, and the agent targets of a simulated site.
package demo
