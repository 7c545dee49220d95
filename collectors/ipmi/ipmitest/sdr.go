// Package ipmitest starts real BMC peers for tests: OpenIPMI's ipmi_sim
// (Debian openipmi) with sensors of the test's choosing, read by ipmitool
// (Debian ipmitool) as a second opinion, and go-ipmi's reference BMC server
// with the handlers the test registers. It also builds the SDR records both
// serve. Each peer listens on 127.0.0.1 and stops when its test ends.
package ipmitest

// Sensor describes one sensor of a simulated BMC: its SDR record and its
// value. A numeric sensor gets a Full Sensor Record (IPMI v2.0 §43.1) whose
// reading converts as y = (M·raw + B·10^BExp)·10^RExp; a Discrete one gets a
// Compact Sensor Record (§43.2) with sensor-specific states (event/reading
// type 6Fh).
type Sensor struct {
	Number   uint8
	Name     string
	EntityID uint8 // Table 43-13: 10 power supply, 7 system board, 55 air inlet…
	Instance uint8
	Type     uint8 // Table 42-3: 1 temperature, 2 voltage, 3 current, 8 power supply, 11 other units

	// Numeric sensors.
	Unit       uint8 // Table 43-15: 1 °C, 2 °F, 4 V, 5 A, 6 W, 18 RPM
	M, B       int16 // 10-bit two's complement
	RExp, BExp int8  // 4-bit two's complement
	Signed     bool  // readings in two's complement
	Direction  uint8 // 1 input, 2 output

	// Discrete sensors: States lists the offsets the sensor can assert
	// (its reading mask); zero means 0–6.
	Discrete bool
	States   uint16

	// Raw is the sensor's first raw reading (numeric) or state bits
	// (discrete).
	Raw uint8
	// File, when set, makes ipmi_sim read the raw value from this file
	// (in the sim's directory) every second: the test changes it with
	// Sim.Set.
	File string
	// DependsOn, when set, makes ipmi_sim disable the sensor while bit 0
	// (presence) of that sensor number is clear.
	DependsOn uint8
}

// Record returns s's SDR record with record ID id, owned by the BMC (20h)
// on LUN 0.
func (s Sensor) Record(id uint16) []byte {
	if s.Discrete {
		return s.compact(id)
	}
	return s.full(id)
}

func (s Sensor) full(id uint16) []byte {
	format, maxRaw, minRaw := byte(0), byte(0xff), byte(0)
	if s.Signed {
		format, maxRaw, minRaw = 2, 0x7f, 0x80
	}
	m, b := uint16(s.M)&0x3ff, uint16(s.B)&0x3ff
	body := []byte{
		0x20, 0x00, s.Number, s.EntityID, s.Instance,
		0x7f, 0x40, s.Type, 0x01, // scanning and events on; auto re-arm; threshold sensor
		0, 0, 0, 0, 0, 0, // event and reading masks: no thresholds
		format << 6, s.Unit, 0, 0x00, // units 1–3; linear
		byte(m), byte(m>>2) & 0xc0, byte(b), byte(b>>2) & 0xc0,
		s.Direction & 0x03, byte(s.RExp)<<4 | byte(s.BExp)&0x0f,
		0, 0, 0, 0, maxRaw, minRaw, // analog flags, nominal, normal max/min, sensor max/min
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // thresholds, hysteresis, reserved, OEM
	}
	return record(id, 0x01, append(body, idString(s.Name)...))
}

func (s Sensor) compact(id uint16) []byte {
	states := s.States
	if states == 0 {
		states = 0x007f
	}
	body := []byte{
		0x20, 0x00, s.Number, s.EntityID, s.Instance,
		0x7f, 0x40, s.Type, 0x6f, // sensor-specific states
		byte(states), byte(states >> 8), byte(states), byte(states >> 8), byte(states), byte(states >> 8),
		0xc0, 0, 0, // not analog
		0, 0, 0, 0, 0, 0, 0, 0, // sharing, hysteresis, reserved, OEM
	}
	return record(id, 0x02, append(body, idString(s.Name)...))
}

// record puts the five-byte header (§43) in front of body.
func record(id uint16, typ byte, body []byte) []byte {
	return append([]byte{byte(id), byte(id >> 8), 0x51, typ, byte(len(body))}, body...)
}

// idString is an 8-bit ASCII ID string with its type/length byte.
func idString(name string) []byte {
	if len(name) > 16 {
		name = name[:16]
	}
	return append([]byte{0xc0 | byte(len(name))}, name...)
}

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
