// Package crosscheck compares what a rack's servers say they draw with
// what its PDUs measure, feed by feed, and names what disagrees.
//
// A server's BMC reports the input power of each of its power supplies
// (PSUs); the inventory says which feed each PSU is plugged into; each
// feed's PDUs measure that feed. Summed per feed, the PSUs' input power
// and the PDUs' should agree, within a tolerance the site sets for what
// neither accounts for (meter accuracy, unmetered switches and patch
// panels): PSU losses are inside both figures. The tolerance also allows
// half the step of every reading summed (Tolerance): a BMC's PSU sensor
// reads in steps of a few watts, and forty PSUs of one model at one load
// round alike, so a claim finer than the readings can measure is no
// finding. Where they do not agree, or where
// a PSU draws nothing while its server runs, Check says what is wrong:
//
//   - a miswired server: both PSUs draw from one feed while the inventory
//     says two. One feed's PDUs measure more than its PSUs say, the other's
//     less, by what the miswired PSU draws;
//   - a PSU that draws nothing while its server draws power: the server has
//     lost its redundancy (a dead PSU, a pulled cord, a feed that is down);
//   - a feed whose PDUs measure more than its servers' PSUs explain (a
//     device not in the inventory, a server inventoried elsewhere), or less
//     (a server inventoried here that draws from another rack).
//
// Check judges one rack. Elsewhere judges the site: a server whose PSUs'
// draw is missing from its rack's PDUs and shows on another rack's, by
// the same amount (a cord run to the next rack, or a server that stands
// where the inventory does not say). The sums are all it goes by, and
// where they cannot tell servers or racks apart, it lists them.
//
// Unknown stays unknown: a feed is judged only when every PDU on it and
// every PSU inventoried on it has a fresh reading, and a rack with a server
// that has no BMC reading is not judged at all. The package is pure: no
// clock, no I/O; the caller reads the telemetry.
package crosscheck
