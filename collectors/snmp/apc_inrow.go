package snmp

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// InRow is the profile "apc-inrow": APC InRow cooling units (InRow RC, RD,
// RP, DX… with a Network Management Card) that report through
// PowerNet-MIB's generic coolingUnit branch, 1.3.6.1.4.1.318.1.1.27. It
// reads one table, coolingUnitStatusAnalogTable (.1.4.1.2.1), whose rows
// describe themselves and are indexed by unit, then entry:
//
//	.2 description  .3 value  .4 units  .5 scale (the reading is value/scale units)
//
// Entry numbers and descriptions differ between models and firmware, so
// rows are matched by description and units, never by entry number:
//
//	CoolingOutputWatts  device    "Cool Output", "Cooling Output"                     kW, W
//	SupplyAirCelsius    device    "Supply Temperature", "Supply Air Temperature"      °C, °F
//	ReturnAirCelsius    device    "Return Temperature", "Return Air Temperature"      °C, °F
//	FanSpeedPercent     device    "Fan Speed", "Evaporator Fan Speed"                 %
//	PowerWatts          device    "Power", "Input Power", "Unit Power"                kW, W
//	TemperatureCelsius  sensor N  "Rack Inlet Temperature N" (no number: sensor 1)    °C, °F
//
// Left out on purpose: group-wide values ("Group …", "Total …"); minima,
// maxima and averages, which are derived from the readings above; the
// upper and lower probes of supply and return; fluid, refrigerant and coil
// temperatures; the condenser fan, which moves outdoor air; the power of
// single components (compressor, fans), which is not the unit's draw; and
// any of the above in other units (a fan speed in rpm). Rows nobody maps
// are ignored.
//
// A temperature in °F is used, converted to the hundredth of a degree, only
// when the same reading has no °C row. When two rows match one reading,
// the lower entry wins. No reading is given for a missing value (unequipped
// sensor slots have a description and no value), for -1 (not available),
// for a negative non-temperature, or for a fan speed above 100 %.
//
// One agent may describe several units (coolingUnitTableSize); a poll reads
// one (Target.Module; 0 means the lowest unit). A unit the device does not
// list fails the poll with ErrNoSuchObject.
type InRow struct{}

var _ Profile = InRow{}

// Name returns "apc-inrow".
func (InRow) Name() string { return "apc-inrow" }

// Roots returns the entry of coolingUnitStatusAnalogTable.
func (InRow) Roots() []string { return []string{coolingAnalogEntry} }

// Parse implements Profile with parseInRow.
func (InRow) Parse(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	return parseInRow(pdus, module)
}

// coolingAnalogEntry is coolingUnitStatusAnalogEntry, and the analog*
// constants its columns.
const (
	coolingAnalogEntry = "1.3.6.1.4.1.318.1.1.27.1.4.1.2.1"
	analogDescription  = 2
	analogValue        = 3
	analogUnits        = 4
	analogScale        = 5
)

// analogRow is one entry of the analog table: its varbinds by column.
type analogRow map[int]gosnmp.SnmpPDU

// analogID names a row in errors: unit.entry, as the SNMP index.
type analogID struct{ unit, entry int }

func (id analogID) String() string { return fmt.Sprintf("%d.%d", id.unit, id.entry) }

// parseInRow turns the varbinds of a walk of coolingAnalogEntry into the
// readings of one unit (0: the lowest), device readings first, in the
// order of inrowMetrics, then sensors by number. Varbinds outside the table
// are ignored. It is pure: no I/O, no clock.
func parseInRow(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	units, err := groupAnalog(pdus)
	if err != nil {
		return nil, err
	}
	unit, err := selectUnit(units, module)
	if err != nil {
		return nil, err
	}
	best := map[analogKey]analogReading{}
	rows := units[unit]
	for _, entry := range slices.Sorted(maps.Keys(rows)) {
		r, ok, err := readAnalog(analogID{unit, entry}, rows[entry])
		if err != nil {
			return nil, err
		}
		if prev, seen := best[r.key]; ok && (!seen || prev.fahrenheit && !r.fahrenheit) {
			best[r.key] = r
		}
	}
	out := make([]collectors.Reading, 0, len(best))
	for k, r := range best {
		out = append(out, collectors.Reading{Metric: k.metric, Scope: k.scope, Index: k.index, Value: r.value})
	}
	slices.SortFunc(out, func(a, b collectors.Reading) int {
		return cmp.Or(cmp.Compare(metricRank(a.Metric), metricRank(b.Metric)), cmp.Compare(a.Index, b.Index))
	})
	return out, nil
}

// inrowMetrics are the metrics of this profile, in the order Parse
// reports them.
var inrowMetrics = []collectors.Metric{
	collectors.CoolingOutputWatts, collectors.SupplyAirCelsius, collectors.ReturnAirCelsius,
	collectors.FanSpeedPercent, collectors.PowerWatts, collectors.TemperatureCelsius,
}

func metricRank(m collectors.Metric) int { return slices.Index(inrowMetrics, m) }

// groupAnalog sorts the varbinds of the analog table into rows by unit and
// entry. An index that is not two positive numbers fails with ErrDecode.
func groupAnalog(pdus []gosnmp.SnmpPDU) (map[int]map[int]analogRow, error) {
	units := map[int]map[int]analogRow{}
	for _, p := range pdus {
		col, index, ok := splitColumn(strings.TrimPrefix(p.Name, "."), coolingAnalogEntry)
		if !ok {
			continue
		}
		id, err := parseAnalogIndex(index)
		if err != nil {
			return nil, err
		}
		if units[id.unit] == nil {
			units[id.unit] = map[int]analogRow{}
		}
		if units[id.unit][id.entry] == nil {
			units[id.unit][id.entry] = analogRow{}
		}
		units[id.unit][id.entry][col] = p
	}
	return units, nil
}

// parseAnalogIndex parses "UNIT.ENTRY".
func parseAnalogIndex(index string) (analogID, error) {
	u, e, _ := strings.Cut(index, ".")
	unit, err1 := strconv.Atoi(u)
	entry, err2 := strconv.Atoi(e)
	if err1 != nil || err2 != nil || unit < 1 || entry < 1 {
		return analogID{}, fmt.Errorf("%w: coolingUnit analog index %q is not UNIT.ENTRY", ErrDecode, index)
	}
	return analogID{unit, entry}, nil
}

// selectUnit returns the unit to read: want, or the lowest when want is 0.
func selectUnit(units map[int]map[int]analogRow, want int) (int, error) {
	if len(units) == 0 {
		return 0, fmt.Errorf("%w: no coolingUnit analog table (not an APC cooling unit?)", ErrNoSuchObject)
	}
	have := slices.Sorted(maps.Keys(units))
	if want == 0 {
		return have[0], nil
	}
	if units[want] == nil {
		return 0, fmt.Errorf("%w: coolingUnit unit %d not found (device has %v)", ErrNoSuchObject, want, have)
	}
	return want, nil
}

// analogKey is what a row measures: a Reading without its Value.
type analogKey struct {
	metric collectors.Metric
	scope  collectors.Scope
	index  int
}

// analogReading is the reading of one row, in base units.
type analogReading struct {
	key        analogKey
	value      float64
	fahrenheit bool // converted from °F: any °C row of the same key wins
}

// readAnalog returns the reading of one row, false when the row is not
// mapped or has no usable value. Every row needs a description; a mapped
// row with a value needs units and a positive scale, and its value must be
// an integer: otherwise it fails with ErrDecode.
func readAnalog(id analogID, r analogRow) (analogReading, bool, error) {
	descr, err := analogString(id, r, analogDescription, "description")
	if err != nil {
		return analogReading{}, false, err
	}
	m, ok := matchAnalog(descr)
	if !ok {
		return analogReading{}, false, nil
	}
	raw, ok, err := analogRaw(id, r)
	if err != nil || !ok {
		return analogReading{}, false, err
	}
	units, err := analogString(id, r, analogUnits, "units")
	if err != nil {
		return analogReading{}, false, err
	}
	scale, err := analogScaleOf(id, r)
	if err != nil {
		return analogReading{}, false, err
	}
	v, fahrenheit, ok := m.quantity.toBase(units, float64(raw)/float64(scale))
	if !ok || !m.quantity.plausible(raw, v) {
		return analogReading{}, false, nil
	}
	return analogReading{key: m.key, value: v, fahrenheit: fahrenheit}, true, nil
}

// analogString returns column col of row r, which must be an OCTET STRING.
func analogString(id analogID, r analogRow, col int, what string) (string, error) {
	p, ok := r[col]
	if !ok {
		return "", fmt.Errorf("%w: coolingUnit analog entry %s has no %s", ErrDecode, id, what)
	}
	if p.Type == gosnmp.OctetString {
		switch v := p.Value.(type) {
		case []byte:
			return string(v), nil
		case string:
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: coolingUnit analog entry %s: %s is %s, want OctetString", ErrDecode, id, what, p.Type)
}

// analogRaw returns the value column of row r, false when the device has
// no value (no varbind, noSuchObject, noSuchInstance, Null). Any other
// non-integer fails with ErrDecode.
func analogRaw(id analogID, r analogRow) (int64, bool, error) {
	p, ok := r[analogValue]
	if !ok {
		return 0, false, nil
	}
	switch p.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.Null, gosnmp.EndOfMibView:
		return 0, false, nil
	}
	v, ok := intValue(p)
	if !ok {
		return 0, false, fmt.Errorf("%w: coolingUnit analog entry %s: value is %s, want Integer", ErrDecode, id, p.Type)
	}
	return v, true, nil
}

// analogScaleOf returns the scale column of row r, a positive integer.
func analogScaleOf(id analogID, r analogRow) (int64, error) {
	p, ok := r[analogScale]
	if !ok {
		return 0, fmt.Errorf("%w: coolingUnit analog entry %s has a value and no scale", ErrDecode, id)
	}
	v, ok := intValue(p)
	if !ok || v < 1 {
		return 0, fmt.Errorf("%w: coolingUnit analog entry %s: scale is %s %v, want a positive Integer", ErrDecode, id, p.Type, p.Value)
	}
	return v, nil
}

// quantity is what kind of value a mapped row holds, which decides the
// units it may come in.
type quantity int

const (
	temperature quantity = iota // °C, or °F converted
	power                       // W, or kW
	percent                     // %
)

// toBase converts v, in units, to the quantity's base unit. It reports
// whether it converted from °F, and false when the units do not fit.
func (q quantity) toBase(units string, v float64) (base float64, fahrenheit, ok bool) {
	u := strings.ToLower(strings.Join(strings.Fields(units), ""))
	u = strings.TrimPrefix(strings.TrimPrefix(u, "°"), "deg")
	switch {
	case q == temperature && u == "c":
		return v, false, true
	case q == temperature && u == "f":
		return math.Round((v-32)*5/9*100) / 100, true, true
	case q == power && u == "w":
		return v, false, true
	case q == power && u == "kw":
		return v * 1000, false, true
	case q == percent && u == "%":
		return v, false, true
	}
	return 0, false, false
}

// plausible says whether raw (as the device sent it) and v (in base units)
// are a reading: -1 means "not available"; only temperatures go below
// zero; a percentage stops at 100.
func (q quantity) plausible(raw int64, v float64) bool {
	switch {
	case raw == -1, raw < 0 && q != temperature, q == percent && v > 100:
		return false
	}
	return true
}

// analogMatch is what a row's description maps to.
type analogMatch struct {
	key      analogKey
	quantity quantity
}

// Words that keep a description from being mapped: derived or group-wide
// values, and the non-air parts of a unit.
var (
	derivedWords = []string{"group", "total", "minimum", "maximum", "min", "max", "average", "avg",
		"mean", "upper", "lower", "setpoint", "set", "limit", "threshold"}
	notAirWords = []string{"fluid", "water", "chilled", "glycol", "coil", "liquid", "refrigerant",
		"suction", "discharge", "condenser", "cond", "compressor", "pump", "power", "pressure", "humidity", "dew"}
	unitPowerDescriptions = []string{"power", "input power", "unit power", "unit input power",
		"active power", "power consumption"}
)

// matchAnalog maps a description to a reading, or reports that it maps
// to none. See InRow for the table it implements.
func matchAnalog(descr string) (analogMatch, bool) {
	w := strings.FieldsFunc(strings.ToLower(descr), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	has := func(s string) bool { return slices.Contains(w, s) }
	hasAny := func(ss []string) bool { return slices.ContainsFunc(ss, has) }
	device := func(m collectors.Metric, q quantity) (analogMatch, bool) {
		return analogMatch{analogKey{m, collectors.ScopeDevice, 0}, q}, true
	}
	switch {
	case hasAny(derivedWords):
	case has("output") && slices.ContainsFunc(w, func(s string) bool { return strings.HasPrefix(s, "cool") }):
		return device(collectors.CoolingOutputWatts, power)
	case has("rack") && has("inlet"):
		return analogMatch{analogKey{collectors.TemperatureCelsius, collectors.ScopeSensor, sensorNumber(w)}, temperature}, true
	case slices.Contains(unitPowerDescriptions, strings.Join(w, " ")):
		return device(collectors.PowerWatts, power)
	case hasAny(notAirWords):
	case has("supply"):
		return device(collectors.SupplyAirCelsius, temperature)
	case has("return"):
		return device(collectors.ReturnAirCelsius, temperature)
	case has("fan") && has("speed"):
		return device(collectors.FanSpeedPercent, percent)
	}
	return analogMatch{}, false
}

// sensorNumber returns the first positive number among words, or 1: the
// number of "Rack Inlet Temperature 3", or the only sensor.
func sensorNumber(words []string) int {
	for _, s := range words {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 1
}
