// Package snmp polls devices over SNMP (v2c and v3) and turns their answers
// into normalised collectors.Readings.
//
// The package has three layers, each tested on its own:
//
//   - The client edge (client.go): gosnmp behind the small Client interface,
//     dialled from a Target with its Credentials. Table walks use GETBULK,
//     or GETNEXT for a device that ignores GETBULK or answers it with an
//     error-status (remembered per device).
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
// Values no device can mean (a saturated integer, negative power, power or
// current beyond ten times what the device's own ratings allow) are left out
// too, and counted by reason (Collector.Rejected).
//
// A device that misbehaves fails its poll, with every reading unknown,
// within a bound of time (the poll's context, each request's Timeout) and
// of memory (MaxWalkVarbinds): an answer that cannot be decoded, OIDs that
// repeat, go back or never end. The error says whether the device answered
// ("the device answered, but …") or not: the operator's next step differs.
package snmp
