// Package power does the site's power accounting: what each rack draws
// against its budget and what is left, rolled up by row, hall and site.
//
// It is pure: given the inventory, the budgets, a telemetry reader and the
// time, it computes a Report, with no I/O and no clock of its own. A rack
// whose PDUs are not all fresh has unknown draw and unknown headroom, and a
// rollup that holds such a rack says it is incomplete instead of showing a
// headroom larger than the truth.
package power
