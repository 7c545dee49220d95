// Package calibration turns what a server's BMC measured into the power
// model that placement uses for it (idle and maximum draw, from which a
// replica asking a utilisation is given its watts), where the measurement
// says more than the declared figures, and leaves the declared figures
// where it does not.
//
// A measurement bounds a model from one side only. A server that drew W
// while on can draw W, so its maximum is at least W: a declared maximum
// below the highest draw measured is too low, and is raised to it. It did
// not necessarily run at full load, so a lower draw says nothing of its
// maximum. Likewise a server that drew W while on idles at W or less: a
// declared idle above the lowest draw measured is too high, and is lowered
// to it; a higher draw says nothing of its idle. A reading of 0 W is a
// server that is off (or a PSU that reads nothing) and says nothing of
// either. Input power is what both the BMC and the declared figures
// (SPECpower measures at the wall) count, PSU losses included.
//
// The package is pure: no clock, no I/O. The leader folds each server's
// readings over the peak horizon (Record, a sliding Observed.Add), commits
// the horizon's figures with the racks' peaks (state.RecordRackPeaks) so
// that every replica of the state calibrates alike, and the state applies
// Calibrate to Declared when it builds the servers of placement's cluster.
package calibration
