// Package placement decides where the replicas of a workload go: which
// server in which rack, so that no server, breaker, feed, cooling row, hall
// or site limit is exceeded, not even after one of a rack's two feeds fails.
//
// The engine is pure: a Cluster and a Request in, a Decision out, with no
// I/O, no clock and no randomness. Ties are broken by rack ID, then server
// ID, so the same input gives the same answer whatever order the cluster
// lists its racks and servers in.
//
// # The chain
//
// As in Nomad's scheduler stack, a decision is a chain of small feasibility
// checkers followed by scorers, all assembled in New, each with one job:
//
//   - rack filters, once per rack: the request's hall and row pins, its
//     required rack labels, two feeds when it needs both, and the spread
//     limit when the spread domain is the rack, row or hall;
//   - power checks, once per rack: each says how many watts the rack may
//     still take under its rule (rack headroom, feed failover, row cooling,
//     hall budget, site budget), and a replica must fit in all of them;
//   - server filters, only in racks that passed: PSUs on two feeds, free
//     CPU, memory and GPUs, and the spread limit by server or feed;
//   - rack scorers on what is left: the balance of each rack's power and
//     resources, bin packing (or spreading) by rack headroom, and a
//     penalty for stacking daily peaks that coincide;
//   - server scorers, adding to their rack's score: servers without GPUs
//     first for a replica that needs none; for one that needs GPUs, servers
//     it leaves with no GPU free or with room for a typical workload, and
//     (binpack) servers it leaves with CPU, memory and GPUs in step.
//
// When a request declares its watts, a replica's power is the same on every
// server, so the power checks reject whole racks before any server is
// looked at and the rack scores are the rack's: the engine visits servers
// only in racks that could beat the best candidate so far with the highest
// server score their servers can get (a rack of GPU servers only cannot
// offer a replica asking for no GPU a server without), and takes the
// server with the best server score, the lowest ID among equals. When the
// watts are derived from the server's power model (Request.Utilisation),
// the power checks compare each server's own watts with the rack's room.
//
// A Cluster may carry an index of the servers of each rack and of what
// they have and use (see Cluster.Index); without it every decision first
// walks all servers. The index keeps, for each rack, the most CPU, memory
// and GPUs any one of its servers has free, so that a replica asking for
// more than that (a database asking 512 GiB, which few servers have) passes
// over the rack without looking at its servers.
//
// # The power model
//
// All figures are watts. For a rack with budget B, measured recent peak P
// (the committed 24 h summary, counted when PeakKnown, stale or not),
// declared placed power D and live reservations R:
//
//	load     L = max(P + N, D) + R    (P and N are 0 when no peak is known)
//	headroom H = B − max(P + N, D) − R
//
// N is the part of D placed too recently for the peak to hold it: placed
// after the start of the horizon the peak covers. Without it a rack whose
// measured draw is not all declared (servers running before dcplane, or
// placed by hand) would be filled to its budget by declarations that are
// not drawing yet: with P = 10 kW measured and nothing declared, max(P, D)
// stays 10 kW until D passes it, however much is placed.
//
// A new replica of w watts must fit: w ≤ H. Stale telemetry never frees
// power: with no peak known the declared power D still counts, and a rack
// whose peak is known keeps it while stale. A row's, hall's and site's load
// is the sum of its racks' L, so a replica adds w to each of them.
//
// Row cooling is N+1: a row's load must stay within the sum of its in-row
// units' capacities minus its largest unit. A row with one unit or none can
// take no load. A hall budget of 0 means the hall is bounded by its racks
// only; a site budget of 0 means the site is bounded by its halls only.
//
// # Feed failover, per phase
//
// A rack with two feeds is 2N: when either feed fails, the surviving feed's
// PDUs must carry the whole rack, each phase within 80 % of its breaker. A
// phase's capacity is V × A × 0.8, V being the line-to-neutral voltage, for
// one-phase and three-phase PDUs alike. Let n be the number of phases of
// the surviving feed's PDUs (one for a one-phase PDU, three for a
// three-phase one, summed over the feed's PDUs). The model assumes the
// load is spread evenly across those n phases except where a PDU measured
// otherwise:
//
//   - measured: phase j of a surviving PDU carries its measured per-phase
//     peak m_j (0 when the PDU's phases were not measured), plus the failed
//     feed's measured total M, moved over and split evenly: m_j + M/n;
//   - declared: the rack's max(P, D) split evenly, max(P, D)/n;
//   - the phase carries the larger of the two, plus its even share of the
//     reservations R/n and of the new replica w/n.
//
// So a replica fits when, for either failed feed and every surviving phase,
// max(m_j + M/n, max(P, D)/n) + (R + w)/n ≤ V × A × 0.8. A two-feed rack
// whose surviving feed has no PDU takes nothing. A rack with one feed has
// no failover to survive and is bounded by its budget.
//
// # Spread
//
// A request's replicas are spread over a domain (server, rack, row, feed
// or hall; server by default): no domain holds more than
// ceil(replicas / eligible domains) of them. A domain is eligible when it
// holds a server that passes the request's static filters (pins, labels,
// both feeds, and CPU, memory and GPU capacity, used or not). A server's
// feed domain is its first PSU's feed. Only the replicas of the decision
// count: the cluster does not say which workload earlier replicas belong to.
//
// # Scores
//
// Every scorer gives a value in [0, 1], higher being better, and the final
// score is their weighted sum (see New and the weights). Balance keeps
// each rack's power and resources in step, so that a rack does not end
// with power left and no room, which strands the power, or room and no
// power: with the rack's budget B, reservations R, max(P + N, D) as above
// and the replica's w watts, its power share is
// (max(P + N, D) + w) / (B − R), the share of what replicas may draw that
// they draw; its resource share is the largest, over CPU, memory and (when
// its servers have some) GPUs, of its servers' usage with the replica's
// added, against their capacity; the score is 1 − |power share − resource
// share|. It weighs the most (BalanceWeight): what a rack strands is lost
// for good. Bin packing prefers the rack whose headroom after the replica
// is smallest, so that racks fill up and whole racks stay free; spreading
// prefers the largest. Both divide by the largest rack budget of the
// cluster, which keeps the order of absolute headroom. Peak decorrelation
// uses the racks' hourly declared load ProfileWatts: for a replica of w
// watts with daily profile f (flat 1 when the request has none), the
// penalty is (max_h(P[h] + w·f[h]) − max_h P[h]) / w, and the score is
// 1 − penalty. The GPU server scorer gives a replica asking for no GPU 1
// on a server without GPUs and 0 on one with, so that GPU servers keep
// their CPU and memory for the replicas that need their GPUs. The room
// server scorer gives a replica asking for GPUs 1 on a server it leaves
// with no GPU free or able to take the typical workload whole (its GPUs,
// CPU and memory), and 0 on one it leaves with less: such a fragment takes
// no typical workload, and its rack's power, kept for it, is stranded. The
// typical workload is the median, by declared watts, of the replicas
// placed on the cluster (counted by Apply and Remove, copied by Clone; the
// replica itself when that median asks for no GPU or nothing is placed):
// the workload by which a rack is judged stranded when it can no longer
// take one. The alignment server scorer, for a replica asking for GPUs
// under binpack, is balance on the server between its GPUs and the larger
// of its CPU and memory: 1 − |resource share − GPU share| once the replica
// is on it, so that a server does not run out of CPU with GPUs free, nor
// of GPUs with much CPU free (spread leaves it out: spreading small
// replicas over empty GPU servers left none whole for the replicas that
// ask for a whole server).
//
// # Overbooking
//
// Decisions may be made on a view older than the state they are committed
// to. Check re-verifies every hard limit for a decision's assignments
// against the cluster as it is when they are applied, so that two
// decisions that each fit can never together overbook.
package placement
