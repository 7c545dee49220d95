// Package whatif answers the question an engineer asks before opening a
// breaker or taking a cooling unit down: what would break if this failed
// now? It is pure: the inventory, the measured load (Readings) and the
// declared load in, a Report out, with no I/O, no clock and no randomness.
//
// A Report lists one Finding per object and basis: the load it would
// carry, its limit, the margin (limit − load, negative when exceeded) and
// a line for people with the numbers. Findings come worst first: racks
// that go dark, then limits exceeded (largest excess first), then loads
// that are unknown, then rows that lose N+1, then the rest by margin; ties
// are broken by hall, row, rack, PDU, phase and basis.
//
// # Bases
//
// Each scenario is judged on two bases, each left out when its input is
// nil. Measured: the latest fresh telemetry. A stale PDU's load is unknown,
// never 0 W: every finding that depends on it is unknown, and says which
// PDU. Declared: each rack's declared placed plus reserved power, which
// says what the rack may draw once its workloads are all busy.
//
// # Feed off
//
// When a feed is switched off, each rack with PDUs on it and on another
// feed runs on the PDUs left, which take over the lost PDUs' load. A phase
// may carry V × A × 0.8 (inventory.DerateFactor): its PDU's
// line-to-neutral voltage times its breaker rating, derated for continuous
// load.
//
// Measured, phase j of a PDU left carries its own load plus phase j of the
// lost PDU it is paired with: dual-corded servers are cabled to the same
// position of the A and B strips, so the load a lost phase fed moves to
// the same phase of the other strip. Pairing is by position in the rack's
// inventory: when a rack has as many PDUs on the lost feed as on the
// others, the i-th lost PDU pairs with the i-th PDU left; otherwise each
// PDU left takes an equal share of each lost PDU. A lost PDU with a
// different number of phases than its pair has its total spread evenly
// over its pair's phases.
//
// A PDU's load per phase is its measured phase power when it reports it;
// else its phase current × its voltage (which is apparent power, so it
// errs high by the power factor, and is exactly the current the breaker
// sees against its rating); else its total input power split evenly over
// its phases. The last two are estimates, and the findings that rest on
// them say so in Assumptions.
//
// A breaker trips on current, not on watts: measured, each phase is
// judged in amps, its own current plus the current of the lost phase it
// takes over against DerateFactor × its breaker, whenever a current is
// measured; a current not measured is its watts over the nominal voltage
// (which errs low when the power factor is below 1 or the voltage below
// nominal), and the finding says so. Its watts are reported too.
//
// Declared, the rack's declared power is split evenly over every phase of
// the PDUs left: the declaration says nothing of phases. It is judged in
// watts; its amps are the watts over the nominal voltage.
//
// A rack whose PDUs are all on the lost feed goes dark: that is a finding
// of its own (kind rack, status dark), with the load it loses and no
// margin. A rack's budget and a row's IT load do not change when a feed is
// lost (the rack draws the same, through other PDUs), so neither is
// judged.
//
// This model differs on purpose from the placement engine's failover
// check, which spreads a lost feed's total evenly over the phases left:
// that one bounds future placements; this one predicts, phase by phase,
// what the breakers left would see.
//
// # Cooling off
//
// When a cooling unit fails, its row keeps the capacity of its other units.
// The row's IT load, all of which becomes heat, is judged against it:
// exceeded when it is larger, no-redundancy when it fits but not without
// the largest remaining unit (N+1 is lost: one more failure and the row
// overheats), ok otherwise. Measured, the row's IT load is the sum of its
// racks' draw, a rack's draw the sum of its PDUs' input power, unknown when
// any of them is; declared, the sum of its racks' declared power.
// Measured, a unit whose telemetry is stale may have failed: the row is
// judged with and without it, and is unknown when the verdicts differ;
// declared, its rated capacity is counted, and the finding says so. Rated
// capacities are taken as they are: supply temperature, airflow and
// neighbouring rows' units are not modelled.
package whatif
