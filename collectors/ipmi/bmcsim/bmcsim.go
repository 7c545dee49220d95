// Package bmcsim builds what a simulated BMC serves, encoded as IPMI v2.0
// and DCMI v1.5 say: SDR records of sensors and DCMI power readings. The
// simulator (package sim) and the test peers (package ipmitest) both serve
// them; it imports no testing code, so that the dcplane binary does not
// either.
package bmcsim

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

// DCMIPower is a DCMI Get Power Reading answer (DCMI v1.5 §6.6.1): watts
// now and over the window, the window's length in milliseconds, and
// whether the measurement is active.
func DCMIPower(current, minimum, maximum, average uint16, windowMillis uint32, active bool) []byte {
	state := byte(0)
	if active {
		state = 0x40
	}
	return []byte{0xdc,
		byte(current), byte(current >> 8), byte(minimum), byte(minimum >> 8),
		byte(maximum), byte(maximum >> 8), byte(average), byte(average >> 8),
		0x00, 0x00, 0x00, 0x00, // IPMI time stamp
		byte(windowMillis), byte(windowMillis >> 8), byte(windowMillis >> 16), byte(windowMillis >> 24),
		state}
}
