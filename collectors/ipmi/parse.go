package ipmi

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bougou/go-ipmi/pkg/command/app"
	"github.com/bougou/go-ipmi/pkg/command/dcmi"
	"github.com/bougou/go-ipmi/pkg/command/sensor"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors"
)

// The parsers of this file decode what a BMC answered. They do no I/O:
// the tests feed them answers captured from real peers (testdata/).

// errNoReading means a sensor answered without a value: reading
// unavailable, scanning disabled, or (for a power reading) measurement not
// active. The value is unknown, never zero.
var errNoReading = errors.New("no reading")

// authCapabilitiesRequest is Get Channel Authentication Capabilities
// (IPMI v2.0 §22.13) for this channel, asking for the IPMI v2.0 data at
// User privilege, in an IPMI v1.5 session-less RMCP packet (§13.14).
func authCapabilitiesRequest() []byte {
	msg := []byte{0x20, byte(netFnApp) << 2, 0, 0x81, 0x00, 0x38, 0x8e, byte(types.PrivilegeLevelUser), 0}
	msg[2] = checksum(msg[0:2])
	msg[len(msg)-1] = checksum(msg[3 : len(msg)-1])
	hdr := []byte{0x06, 0x00, 0xff, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(msg))}
	return append(hdr, msg...)
}

// checksum is the IPMB two's-complement checksum (§13.8).
func checksum(b []byte) byte {
	var s byte
	for _, x := range b {
		s += x
	}
	return -s
}

// authCaps is what the capabilities answer says of the IPMI versions.
type authCaps struct{ v15, v20 bool }

// parseAuthCapabilities decodes the RMCP packet answering
// authCapabilitiesRequest.
func parseAuthCapabilities(pkt []byte) (authCaps, error) {
	r := &types.Rmcp{}
	if err := r.Unpack(pkt); err != nil {
		return authCaps{}, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if r.Session15 == nil {
		return authCaps{}, fmt.Errorf("%w: the capabilities answer is not an IPMI v1.5 packet", ErrDecode)
	}
	res := &types.IPMIResponse{}
	if err := res.Unpack(r.Session15.Payload); err != nil {
		return authCaps{}, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if res.Command != 0x38 {
		return authCaps{}, fmt.Errorf("%w: answer to command %#02x, want 38h", ErrDecode, res.Command)
	}
	if res.CompletionCode != 0 {
		return authCaps{}, &CompletionError{Command: "Get Channel Authentication Capabilities", Code: res.CompletionCode}
	}
	caps := &app.GetChannelAuthenticationCapabilitiesResponse{}
	if err := caps.Unpack(res.Data); err != nil {
		return authCaps{}, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return authCaps{v15: caps.SupportIPMIv15 || !caps.IPMIv20ExtendedAvailable, v20: caps.SupportIPMIv20}, nil
}

// setupStatus reads the status code of an RMCP+ session-setup answer (Open
// Session Response, RAKP 2 or 4: IPMI v2.0 §13.17–13.23), whose second
// payload byte it is in each.
func setupStatus(pkt []byte) (types.RmcpStatusCode, bool) {
	r := &types.Rmcp{}
	if err := r.Unpack(pkt); err != nil || r.Session20 == nil {
		return 0, false
	}
	switch r.Session20.SessionHeader20.PayloadType {
	case types.PayloadTypeRmcpOpenSessionResponse, types.PayloadTypeRAKPMessage2, types.PayloadTypeRAKPMessage4:
	default:
		return 0, false
	}
	if p := r.Session20.SessionPayload; len(p) >= 2 {
		return types.RmcpStatusCode(p[1]), true
	}
	return 0, false
}

// rmcpPlusPayloadType returns the payload type of an RMCP+ packet (IPMI
// v2.0 §13.6), or 0 for another packet.
func rmcpPlusPayloadType(pkt []byte) byte {
	if len(pkt) < 6 || pkt[3]&0x1f != 0x07 || pkt[4] != 0x06 {
		return 0
	}
	return pkt[5] & 0x3f
}

// setupAnswerType returns the payload type that answers an RMCP+ session
// setup request (Open Session Request 10h → 11h, RAKP 1 12h → 13h, RAKP 3
// 14h → 15h), or 0 when pkt is not one.
func setupAnswerType(pkt []byte) byte {
	switch t := rmcpPlusPayloadType(pkt); t {
	case byte(types.PayloadTypeRmcpOpenSessionRequest), byte(types.PayloadTypeRAKPMessage1), byte(types.PayloadTypeRAKPMessage3):
		return t + 1
	}
	return 0
}

// DeviceInfo is what Get Device ID says of a BMC.
type DeviceInfo struct {
	ManufacturerID uint32 `json:"manufacturer_id"` // IANA enterprise number
	ProductID      uint16 `json:"product_id"`
	Firmware       string `json:"firmware"`     // major.minor
	IPMIVersion    string `json:"ipmi_version"` // "2.0"
}

// parseDeviceID decodes a Get Device ID answer (§20.1).
func parseDeviceID(data []byte) (DeviceInfo, error) {
	if len(data) < 11 {
		return DeviceInfo{}, fmt.Errorf("%w: Get Device ID answer has %d bytes, want 11", ErrDecode, len(data))
	}
	return DeviceInfo{
		ManufacturerID: uint32(data[6]) | uint32(data[7])<<8 | uint32(data[8]&0x0f)<<16,
		ProductID:      uint16(data[9]) | uint16(data[10])<<8,
		Firmware:       fmt.Sprintf("%d.%02x", data[2]&0x7f, data[3]),
		IPMIVersion:    fmt.Sprintf("%d.%d", data[4]&0x0f, data[4]>>4),
	}, nil
}

// dcmiPower is a DCMI power reading: the server's input power now and
// over the BMC's statistics window.
type dcmiPower struct {
	Current, Min, Max, Average float64 // W
	Window                     time.Duration
}

// parsePowerReading decodes a DCMI Get Power Reading answer (DCMI v1.5
// §6.6.1). A BMC that says its power measurement is not active gives
// errNoReading: its figures are not measurements.
func parsePowerReading(data []byte) (dcmiPower, error) {
	res := &dcmi.GetDCMIPowerReadingResponse{}
	if err := res.Unpack(data); err != nil {
		return dcmiPower{}, fmt.Errorf("%w: DCMI power reading: %w", ErrDecode, err)
	}
	if !res.PowerMeasurementActive {
		return dcmiPower{}, fmt.Errorf("DCMI power measurement not active: %w", errNoReading)
	}
	return dcmiPower{
		Current: float64(res.CurrentPower),
		Min:     float64(res.MinimumPower),
		Max:     float64(res.MaximumPower),
		Average: float64(res.AveragePower),
		Window:  time.Duration(res.ReportingPeriod) * time.Millisecond,
	}, nil
}

// Entity IDs (IPMI v2.0 §43.14, Table 43-13) and sensor codes this package
// looks for.
const (
	entitySystemBoard     = 0x07
	entityPowerSupply     = 0x0a
	entityPowerUnit       = 0x13
	entityPowerManagement = 0x15
	entitySystemChassis   = 0x17

	sensorTypePowerSupply = 0x08 // Table 42-3
	readingSensorSpecific = 0x6f // Table 42-1
	directionOutput       = 0x02 // Sensor Direction, Full Sensor Record byte 29
	ownerBMC              = 0x20
)

// sdrSensor is one sensor of the SDR that the Collector reads, and where its
// readings go.
type sdrSensor struct {
	Record uint16
	Number uint8
	Name   string
	Entity string            // "ID.instance", as ipmitool prints it
	Metric collectors.Metric // empty for a PSU state sensor
	Scope  collectors.Scope
	Index  int

	entityID, instance uint8
	psuState           bool           // a PSU state sensor (discrete)
	states             uint16         // the states a PSU state sensor can report
	deviceLevel        bool           // measures the whole server's input power
	full               *types.SDRFull // conversion factors of a numeric sensor
}

// Skipped is an SDR record the Collector does not read, and why.
type Skipped struct {
	Record uint16 `json:"record"`
	Name   string `json:"name,omitempty"`
	Why    string `json:"why"`
}

// plan is what the SDR says is worth reading.
type plan struct {
	sensors []sdrSensor
	skipped []Skipped
}

// parseSDR decodes the SDR's records and chooses the sensors to read:
// power, current, voltage and temperature sensors with a linear reading,
// and power supplies' state sensors, all owned by the BMC. A record that
// cannot be decoded is skipped, not fatal: one odd record must not hide the
// rest.
func parseSDR(records [][]byte) plan {
	var p plan
	for i, rec := range records {
		s, why := parseRecord(rec)
		if why != "" {
			p.skipped = append(p.skipped, Skipped{Record: recordID(rec, i), Name: s.Name, Why: why})
			continue
		}
		p.sensors = append(p.sensors, s)
	}
	p.place()
	return p
}

// recordID is the ID in a record's header, or its position when the
// record is too short to have one.
func recordID(rec []byte, i int) uint16 {
	if len(rec) >= 2 {
		return uint16(rec[0]) | uint16(rec[1])<<8
	}
	return uint16(i)
}

// parseRecord decodes one record into an sdrSensor, or says why it is skipped.
func parseRecord(rec []byte) (sdrSensor, string) {
	sdr, err := types.ParseSDR(rec, 0)
	if err != nil {
		return sdrSensor{}, "cannot decode: " + err.Error()
	}
	var s sdrSensor
	var owner, lun uint8
	switch {
	case sdr.Full != nil:
		f := sdr.Full
		s = sdrSensor{Number: uint8(f.SensorNumber), entityID: uint8(f.SensorEntityID), instance: uint8(f.SensorEntityInstance),
			Name: cleanName(f.IDStringBytes), full: f}
		owner, lun = uint8(f.GeneratorID), uint8(f.GeneratorID>>8)&0x03
		s.psuState = uint8(f.SensorType) == sensorTypePowerSupply && uint8(f.SensorEventReadingType) == readingSensorSpecific
	case sdr.Compact != nil:
		c := sdr.Compact
		s = sdrSensor{Number: uint8(c.SensorNumber), entityID: uint8(c.SensorEntityID), instance: uint8(c.SensorEntityInstance),
			Name: cleanName(c.IDStringBytes)}
		owner, lun = uint8(c.GeneratorID), uint8(c.GeneratorID>>8)&0x03
		s.psuState = uint8(c.SensorType) == sensorTypePowerSupply && uint8(c.SensorEventReadingType) == readingSensorSpecific
	default:
		return sdrSensor{}, "not a sensor record (" + sdr.RecordHeader.RecordType.String() + ")"
	}
	s.Record = sdr.RecordHeader.RecordID
	s.Entity = fmt.Sprintf("%d.%d", s.entityID, s.instance)
	if owner != ownerBMC || lun != 0 {
		return s, fmt.Sprintf("owned by controller %#02x LUN %d, not the BMC", owner, lun)
	}
	if s.psuState {
		s.states = uint16(rec[18]) | uint16(rec[19]&0x7f)<<8
		s.full = nil
		return s, ""
	}
	if s.full == nil {
		return s, "compact record: no numeric reading"
	}
	return s, s.numeric()
}

// numeric checks that a full record's sensor reads a quantity this package
// reports, linearly, and sets its metric.
func (s *sdrSensor) numeric() string {
	u := s.full.SensorUnit
	switch {
	case !u.IsAnalog():
		return "no numeric reading"
	case u.Percentage || u.RateUnit != 0 || u.ModifierRelation != 0:
		return "unit " + u.String() + " is not a plain quantity"
	case s.full.LinearizationFunc.IsNonLinear():
		return "non-linear sensor: its factors change with the reading"
	}
	switch u.BaseUnit {
	case types.SensorUnitType_Watts:
		s.Metric = collectors.PowerWatts
		s.deviceLevel = deviceEntity(s.entityID) && s.full.SensorDirection != directionOutput
	case types.SensorUnitType_Amps:
		s.Metric = collectors.CurrentAmperes
	case types.SensorUnitType_Volts:
		s.Metric = collectors.VoltageVolts
	case types.SensorUnitType_DegreesC, types.SensorUnitType_DegreesF, types.SensorUnitType_DegreesK:
		s.Metric = collectors.TemperatureCelsius
	default:
		return "unit " + u.BaseUnit.String() + " not collected"
	}
	return ""
}

// deviceEntity reports whether a power sensor on this entity measures the
// whole server.
func deviceEntity(id uint8) bool {
	switch id {
	case entitySystemBoard, entityPowerUnit, entityPowerManagement, entitySystemChassis:
		return true
	}
	return false
}

// cleanName turns an SDR ID string into text.
func cleanName(b []byte) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, string(b)))
}

// place gives each sensor its scope and index. A power supply's sensors
// (entity 10) and every PSU state sensor go to ScopePSU, numbered from 1 in
// the order of their entity instances, input-side measurements only and one
// sensor per metric and PSU; the other sensors go to ScopeSensor, numbered
// from 1 in the SDR's order.
func (p *plan) place() {
	psus := map[[2]uint8]bool{}
	for _, s := range p.sensors {
		if s.onPSU() {
			psus[[2]uint8{s.entityID, s.instance}] = true
		}
	}
	index := ordinals(psus)
	taken := map[string]bool{}
	next := 0
	for i := range p.sensors {
		s := &p.sensors[i]
		key := fmt.Sprintf("%s/%d.%d", s.Metric, s.entityID, s.instance)
		if s.onPSU() && !taken[key] {
			taken[key] = true
			s.Scope, s.Index = collectors.ScopePSU, index[[2]uint8{s.entityID, s.instance}]
			continue
		}
		if s.psuState {
			// A second state sensor of one PSU: its readings would collide.
			s.Scope = ""
			continue
		}
		next++
		s.Scope, s.Index = collectors.ScopeSensor, next
	}
	kept := p.sensors[:0]
	for _, s := range p.sensors {
		if s.Scope == "" {
			p.skipped = append(p.skipped, Skipped{Record: s.Record, Name: s.Name, Why: "second state sensor of PSU " + s.Entity})
			continue
		}
		kept = append(kept, s)
	}
	p.sensors = kept
}

// onPSU reports whether s describes a power supply's input side or state.
func (s *sdrSensor) onPSU() bool {
	if s.psuState {
		return true
	}
	return s.entityID == entityPowerSupply && s.full.SensorDirection != directionOutput
}

// ordinals numbers the keys from 1 in ascending order.
func ordinals(keys map[[2]uint8]bool) map[[2]uint8]int {
	sorted := make([][2]uint8, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && less(sorted[j], sorted[j-1]); j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	out := make(map[[2]uint8]int, len(sorted))
	for i, k := range sorted {
		out[k] = i + 1
	}
	return out
}

func less(a, b [2]uint8) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

// value decodes a numeric sensor's Get Sensor Reading answer (§35.14) into
// its metric's base unit, with the record's conversion (§36.3:
// y = L[(M·x + B·10^K1)·10^K2]). A reading the BMC marks unavailable, or
// of a sensor whose scanning is disabled, is errNoReading.
func (s *sdrSensor) value(data []byte) (float64, error) {
	r, err := reading(data)
	if err != nil {
		return 0, err
	}
	f := s.full
	v := types.ConvertReading(r.Reading, f.SensorUnit.AnalogDataFormat, f.ReadingFactors, f.LinearizationFunc)
	switch f.SensorUnit.BaseUnit {
	case types.SensorUnitType_DegreesF:
		v = (v - 32) * 5 / 9
	case types.SensorUnitType_DegreesK:
		v -= 273.15
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: reading %#02x converts to %v", ErrDecode, r.Reading, v)
	}
	return v, nil
}

// step is the resolution of a numeric sensor's reading of raw in its
// metric's base unit: one count. For a linear sensor that is |M| × 10^R
// (§36.3; the B offset moves every reading alike); for one with a
// linearisation function (ln, x², …) it depends on the reading, and is the
// larger of the steps to the neighbouring counts.
func (s *sdrSensor) step(raw uint8) float64 {
	f := s.full
	var v float64
	if f.LinearizationFunc == types.LinearizationFunc_Linear {
		v = math.Abs(float64(f.ReadingFactors.M)) * math.Pow(10, float64(f.ReadingFactors.R_Exp))
	} else {
		format := f.SensorUnit.AnalogDataFormat
		at := func(r uint8) float64 { return types.ConvertReading(r, format, f.ReadingFactors, f.LinearizationFunc) }
		x := types.AnalogValue(raw, format)
		for _, n := range []uint8{raw - 1, raw + 1} {
			if d := types.AnalogValue(n, format) - x; d == 1 || d == -1 { // not wrapped round
				v = max(v, math.Abs(at(n)-at(raw)))
			}
		}
	}
	if f.SensorUnit.BaseUnit == types.SensorUnitType_DegreesF {
		v = v * 5 / 9
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// reading decodes a Get Sensor Reading answer and refuses one without a
// value.
func reading(data []byte) (*sensor.GetSensorReadingResponse, error) {
	r := &sensor.GetSensorReadingResponse{}
	if err := r.Unpack(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	switch {
	case r.ReadingUnavailable:
		return nil, fmt.Errorf("reading unavailable: %w", errNoReading)
	case r.SensorScanningDisabled:
		return nil, fmt.Errorf("sensor scanning disabled: %w", errNoReading)
	}
	return r, nil
}

// The offsets of the Power Supply sensor type's states (Table 42-3).
const (
	psuPresence         = 1 << 0
	psuFailure          = 1 << 1
	psuPredictive       = 1 << 2
	psuInputLost        = 1 << 3
	psuInputLostOrRange = 1 << 4
	psuInputRange       = 1 << 5
	psuConfigError      = 1 << 6

	psuInputStates  = psuInputLost | psuInputLostOrRange | psuInputRange
	psuHealthStates = psuFailure | psuPredictive | psuConfigError
)

// psuStates decodes a PSU state sensor's answer into PSUPresent, PSUInputOK
// and PSUHealthy, each only when the sensor can report the states it rests
// on. A record that lists no states at all is taken to report them all:
// some BMCs leave the mask empty.
func (s *sdrSensor) psuStates(data []byte) (map[collectors.Metric]float64, error) {
	if _, err := reading(data); err != nil {
		return nil, err
	}
	if len(data) < 3 {
		return nil, fmt.Errorf("%w: PSU state answer has no state bits", ErrDecode)
	}
	asserted := uint16(data[2]) // offsets 0–7; the PSU states end at 6
	can := s.states
	if can == 0 {
		can = psuPresence | psuInputStates | psuHealthStates
	}
	out := map[collectors.Metric]float64{}
	if can&psuPresence != 0 {
		out[collectors.PSUPresent] = bit(asserted&psuPresence != 0)
	}
	if can&psuInputStates != 0 {
		out[collectors.PSUInputOK] = bit(asserted&psuInputStates == 0)
	}
	if can&psuHealthStates != 0 {
		out[collectors.PSUHealthy] = bit(asserted&psuHealthStates == 0)
	}
	return out, nil
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
