// Package ipmitest starts real BMC peers for tests: OpenIPMI's ipmi_sim
// (Debian openipmi) with sensors of the test's choosing, read by ipmitool
// (Debian ipmitool) as a second opinion, and go-ipmi's reference BMC server
// with the handlers the test registers. It also builds the SDR records both
// serve. Each peer listens on 127.0.0.1 and stops when its test ends.
package ipmitest

import "github.com/dcplane/dcplane/collectors/ipmi/bmcsim"

// Sensor describes one sensor of a simulated BMC (see bmcsim.Sensor).
type Sensor = bmcsim.Sensor

// The files ServerSensors' polled sensors are read from, for Sim.Set.
const (
	FilePSU1Power = "psu1_power" // raw reading: 4 W per count
	FilePSU2Power = "psu2_power"
	FilePSU1State = "psu1_state" // Power Supply states: bit 0 present, 1 failure, 3 AC lost…
	FilePSU2State = "psu2_state"
)

// ServerSensors is the SDR of a two-PSU server as the tests simulate it:
// each PSU's input power (polled from a file; PSU 2's reads only while
// PSU 2 is present), current and state, an inlet temperature that reads
// in two's complement, a 12 V rail with a 10^-2 exponent, a CPU's power, an
// outlet temperature in °F and a fan (in RPM, which is not collected).
// Every one of them is in the BMC's own SDR, owned by the BMC on LUN 0.
func ServerSensors() []Sensor {
	return []Sensor{
		{Number: 0x30, Name: "PSU1 Input", EntityID: 10, Instance: 1, Type: 0x0b, Unit: 6, M: 4, Direction: 1, Raw: 75, File: FilePSU1Power},
		{Number: 0x31, Name: "PSU2 Input", EntityID: 10, Instance: 2, Type: 0x0b, Unit: 6, M: 4, Direction: 1, Raw: 60, File: FilePSU2Power, DependsOn: 0x41},
		{Number: 0x40, Name: "PSU1 Status", EntityID: 10, Instance: 1, Type: 0x08, Discrete: true, Raw: 0x01, File: FilePSU1State},
		{Number: 0x41, Name: "PSU2 Status", EntityID: 10, Instance: 2, Type: 0x08, Discrete: true, Raw: 0x01, File: FilePSU2State},
		{Number: 0x50, Name: "Inlet Temp", EntityID: 55, Instance: 1, Type: 0x01, Unit: 1, M: 1, Signed: true, Raw: 0xfb},
		{Number: 0x51, Name: "12V", EntityID: 7, Instance: 1, Type: 0x02, Unit: 4, M: 6, RExp: -2, Raw: 200},
		{Number: 0x52, Name: "CPU1 Power", EntityID: 3, Instance: 1, Type: 0x0b, Unit: 6, M: 2, Raw: 45},
		{Number: 0x53, Name: "PSU1 Current", EntityID: 10, Instance: 1, Type: 0x03, Unit: 5, M: 1, RExp: -1, Direction: 1, Raw: 15},
		{Number: 0x54, Name: "Outlet Temp", EntityID: 55, Instance: 2, Type: 0x01, Unit: 2, M: 1, Raw: 95},
		{Number: 0x55, Name: "Fan1", EntityID: 29, Instance: 1, Type: 0x04, Unit: 18, M: 50, Raw: 90},
	}
}
