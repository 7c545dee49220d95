// Package levenshtein measures how far a name a person typed is from the
// names that exist, for the "did you mean" of an error: rack IDs, cooling
// units, inventory fields and profiles. It is pure: no I/O.
package levenshtein
