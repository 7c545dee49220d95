// Package snmp polls devices over SNMP (v2c and v3) and turns their answers
// into normalised collectors.Readings.
//
// The package has three layers, each tested on its own:
//
//   - The client edge (client.go): gosnmp behind the small Client interface,
//     dialled from a Target with its Credentials. Table walks use GETBULK.
//     Secrets are held in Secret, which never prints its value.
//   - Profiles (profile.go, apc_rpdu2.go): what to read from one family of
//     devices and a pure function that turns the varbinds into Readings. A
//     profile never talks to a device, so it is tested on captured varbinds.
//   - The Collector (collector.go): one poll of one device through one
//     profile, returning a collectors.Status that is either OK with readings or
//     failed with a short Reason (see Reason).
//
// A value that a device does not have is left out, never reported as zero:
// sentinel values (-1 in PowerNet-MIB), absent tables, noSuchObject and
// noSuchInstance, and values of the wrong ASN.1 type yield no reading.
package snmp
