// Package sim is dcplane's simulated data-processing centre: real SNMP
// agents on loopback that answer as the site's PDUs and cooling units do.
//
// The pieces, from the bottom up:
//
//   - [ParseSnmprec] and [LoadSnmprec] read snmpsim's .snmprec recordings
//     (OID|TAG|VALUE per line) into [Record]s.
//   - A [View] is an ordered set of OID → value. A value is static (from a
//     recording) or live (a function called on every read); [View.Overlay]
//     lays live values over a recorded walk. Lookups are binary searches.
//   - A [Device] is a View plus the faults a test can inject: silenced (it
//     stops answering) and garbage (numeric objects answer with a string).
//   - A [Server] answers SNMP v1 and v2c Get, GetNext and GetBulk on any
//     net.PacketConn, using gosnmp's own codec. The community selects the
//     device, so one socket can serve a whole hall, or a socket per device.
//   - [NewRackPDU] and [NewInRow] are device models written from APC's
//     PowerNet-MIB (rPDU2 and coolingUnit), whose readings are consistent
//     with each other at the MIB's resolution.
//   - [PlanRecording] finds, by asking a collector's profile, which
//     objects of a real PDU's recorded walk hold its power, apparent power,
//     current and energy, and what the device is ([RecordingPlan.Phases],
//     [RecordingPlan.Volts], [RecordingPlan.RatedAmps]: what an inventory
//     describing it must say); [NewRecordedPDU] serves the walk with those
//     objects following a load in the device's own units, everything else
//     as recorded ([SiteConfig].Recorded, the demo's --vendors mixed).
//   - [LoadModel] and [Rack] give each rack a deterministic daily load curve,
//     a pin for "push rack X over budget" scenarios, and the A/B feed split.
//   - [PlacedLoad]s are the workloads placed on a rack, each drawing its
//     watts shaped by its daily profile on top of the rack's own load:
//     [Site.SetPlaced] makes the site follow the controller's placements
//     (internal/demo polls them), so that placing raises the measured draw.
package sim
