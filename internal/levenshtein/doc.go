// Package levenshtein finds the names nearest one a person typed, for the
// "did you mean" of an error: Distance measures two names apart, Nearest
// ranks the names that exist (rack IDs, cooling units, inventory fields,
// profiles). It is pure: no I/O.
package levenshtein
