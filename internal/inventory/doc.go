// Package inventory is the site model that every part of dcplane shares:
// site → halls → rows → racks → PDUs (and servers), and rows → cooling units.
//
// An inventory is written by people in YAML. Load parses and validates it and
// reports every problem with the file, line and field at fault, so that an
// engineer can go straight to the line. Reference builds the bundled example
// site, modelled on the reference DPC.
//
// Sizes are written in the units people use (kW, A, V) and read back in base
// units through methods (BudgetWatts, CapacityWatts…).
package inventory
