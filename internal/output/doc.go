// Package output writes what the dcplane CLI prints: data as indented JSON
// or block YAML with the API's field names (-o json, -o yaml), and tables
// for people, with aligned columns whose numbers line up and kW and
// percentages that show an unknown reading as "-", never as zero.
//
// It does no I/O of its own beyond the writer it is given.
package output
