package snmp

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// RPDU2 is the profile "apc-rpdu2": APC rack PDUs of the rPDU2 generation
// (PowerNet-MIB, 1.3.6.1.4.1.318.1.1.26: AP79xxB, AP86xx, AP88xx, APDU99xx
// and OEM builds of them). It reads five status tables:
//
//	device    .4.3.1   .5 power (0.01 kW), .9 energy (0.1 kWh), .16 apparent power (0.01 kVA), .17 power factor (0.01)
//	phase     .6.3.1   .5 current (0.1 A), .6 voltage (V), .7 power (0.01 kW), .8 apparent power (0.01 kVA), .9 power factor (0.01)
//	bank      .8.3.1   .5 current (0.1 A)
//	outlet    .9.4.3.1 .6 current (0.1 A), .7 power (W), .11 energy (0.1 kWh) — metered-by-outlet models only
//	sensor    .10.2.2.1 .8 temperature (0.1 °C), .10 relative humidity (%)
//
// and reports them in base units (W, VA, A, V, J, °C, %, ratio). Index is
// the table's number column (phase .3, bank .3, outlet .4, sensor .4), not
// the SNMP row index, so it stays the number printed on the PDU.
//
// Daisy-chained PDUs (Network Port Sharing) answer at the host's address
// with one row per unit in every table, told apart by the module column
// (.2). Each unit is its own device with its own feed, so a poll reads one
// module only (Target.Module; 0 means the lowest module, the host); each
// guest is polled as its own Target with the same address. A module the
// device does not list fails the poll with ErrNoSuchObject.
//
// The device energy meter is user-resettable: it can go down.
type RPDU2 struct{}

var _ Profile = RPDU2{}

// Name returns "apc-rpdu2".
func (RPDU2) Name() string { return "apc-rpdu2" }

// Roots returns the entries of the five status tables. Whole entries are
// walked (a few unused columns come along) because most PDUs have one
// device row and a handful of phases, banks and sensors, and an absent table
// costs one walk rather than one per column.
func (RPDU2) Roots() []string {
	roots := make([]string, len(rpdu2Tables))
	for i, t := range rpdu2Tables {
		roots[i] = t.entry
	}
	return roots
}

// Parse implements Profile with parseRPDU2.
func (RPDU2) Parse(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	return parseRPDU2(pdus, module)
}

const rpdu2ModuleColumn = 2 // every rPDU2 status table has the module in column 2

// rpdu2Column is one measured column of an rPDU2 table: raw*mul/div in the
// metric's base unit. -1 always means "not available"; other negatives too,
// unless signed. A value above max (when max > 0) is garbage.
type rpdu2Column struct {
	sub      int
	metric   collectors.Metric
	mul, div float64
	signed   bool
	max      int64
}

// rpdu2Table is one rPDU2 status table.
type rpdu2Table struct {
	name   string
	entry  string
	scope  collectors.Scope
	number int // column holding Index; 0 for the device table (Index 0)
	cols   []rpdu2Column
	// keep, when set, says whether a row's metric is present at all
	// (the sensor table's type column).
	keep func(r rpdu2Row, m collectors.Metric) bool
}

const (
	tenthKWhInJoules = 360_000 // 0.1 kWh = 0.1 × 3.6e6 J
	sensorType       = 5       // rPDU2SensorTempHumidityStatusType
	sensorTempOnly   = 1       // temperatureOnly
	sensorCommsLost  = 3       // commsLost
	sensorAbsent     = 4       // notInstalled
)

var rpdu2Tables = []rpdu2Table{
	{name: "device status", entry: "1.3.6.1.4.1.318.1.1.26.4.3.1", scope: collectors.ScopeDevice, cols: []rpdu2Column{
		{sub: 5, metric: collectors.PowerWatts, mul: 10, div: 1},
		{sub: 16, metric: collectors.ApparentPowerVA, mul: 10, div: 1},
		{sub: 17, metric: collectors.PowerFactorRatio, mul: 1, div: 100, max: 100},
		{sub: 9, metric: collectors.EnergyJoules, mul: tenthKWhInJoules, div: 1},
	}},
	{name: "phase status", entry: "1.3.6.1.4.1.318.1.1.26.6.3.1", scope: collectors.ScopePhase, number: 3, cols: []rpdu2Column{
		{sub: 5, metric: collectors.CurrentAmperes, mul: 1, div: 10},
		{sub: 6, metric: collectors.VoltageVolts, mul: 1, div: 1},
		{sub: 7, metric: collectors.PowerWatts, mul: 10, div: 1},
		{sub: 8, metric: collectors.ApparentPowerVA, mul: 10, div: 1},
		{sub: 9, metric: collectors.PowerFactorRatio, mul: 1, div: 100, max: 100},
	}},
	{name: "bank status", entry: "1.3.6.1.4.1.318.1.1.26.8.3.1", scope: collectors.ScopeBank, number: 3, cols: []rpdu2Column{
		{sub: 5, metric: collectors.CurrentAmperes, mul: 1, div: 10},
	}},
	{name: "outlet metered status", entry: "1.3.6.1.4.1.318.1.1.26.9.4.3.1", scope: collectors.ScopeOutlet, number: 4, cols: []rpdu2Column{
		{sub: 6, metric: collectors.CurrentAmperes, mul: 1, div: 10},
		{sub: 7, metric: collectors.PowerWatts, mul: 1, div: 1},
		{sub: 11, metric: collectors.EnergyJoules, mul: tenthKWhInJoules, div: 1},
	}},
	{name: "temperature/humidity sensor status", entry: "1.3.6.1.4.1.318.1.1.26.10.2.2.1", scope: collectors.ScopeSensor, number: 4,
		keep: keepSensorMetric, cols: []rpdu2Column{
			{sub: 8, metric: collectors.TemperatureCelsius, mul: 1, div: 10, signed: true},
			{sub: 10, metric: collectors.HumidityPercent, mul: 1, div: 1, max: 100},
		}},
}

// keepSensorMetric drops probes that are not installed or not answering,
// and humidity from temperature-only probes. A type column that is absent
// or garbage drops nothing: the -1 sentinels still apply.
func keepSensorMetric(r rpdu2Row, m collectors.Metric) bool {
	typ, ok := intValue(r.cols[sensorType])
	if !ok {
		return true
	}
	switch typ {
	case sensorAbsent, sensorCommsLost:
		return false
	case sensorTempOnly:
		return m != collectors.HumidityPercent
	}
	return true
}

// rpdu2Row is one row of a table: its SNMP index and its varbinds by column.
type rpdu2Row struct {
	index string
	cols  map[int]gosnmp.SnmpPDU
}

// parseRPDU2 turns the varbinds of walks of rpdu2Tables into the readings of
// one module (0: the lowest). Varbinds outside the tables are ignored. It is
// pure: no I/O, no clock.
func parseRPDU2(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	rows := groupRPDU2(pdus)
	mod, err := selectModule(rows[0], module)
	if err != nil {
		return nil, err
	}
	var out []collectors.Reading
	for i, t := range rpdu2Tables {
		rs, err := t.readings(rows[i], mod)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// groupRPDU2 sorts varbinds into rows of rpdu2Tables, by table position.
func groupRPDU2(pdus []gosnmp.SnmpPDU) [][]rpdu2Row {
	rows := make([][]rpdu2Row, len(rpdu2Tables))
	at := make([]map[string]int, len(rpdu2Tables))
	for _, p := range pdus {
		name := strings.TrimPrefix(p.Name, ".")
		for i, t := range rpdu2Tables {
			col, index, ok := splitColumn(name, t.entry)
			if !ok {
				continue
			}
			if at[i] == nil {
				at[i] = map[string]int{}
			}
			j, seen := at[i][index]
			if !seen {
				j = len(rows[i])
				at[i][index] = j
				rows[i] = append(rows[i], rpdu2Row{index: index, cols: map[int]gosnmp.SnmpPDU{}})
			}
			rows[i][j].cols[col] = p
			break
		}
	}
	return rows
}

// splitColumn splits "ENTRY.COL.INDEX" into COL and INDEX.
func splitColumn(name, entry string) (int, string, bool) {
	rest, ok := strings.CutPrefix(name, entry+".")
	if !ok {
		return 0, "", false
	}
	colStr, index, ok := strings.Cut(rest, ".")
	if !ok || index == "" {
		return 0, "", false
	}
	col, err := strconv.Atoi(colStr)
	if err != nil {
		return 0, "", false
	}
	return col, index, true
}

// selectModule checks the device table and returns the module to read:
// want, or the lowest module when want is 0.
func selectModule(device []rpdu2Row, want int) (int, error) {
	if len(device) == 0 {
		return 0, fmt.Errorf("%w: no rPDU2 device status table (not an APC rPDU2 PDU?)", ErrNoSuchObject)
	}
	var mods []int
	for _, r := range device {
		m, err := requireInt(r, rpdu2ModuleColumn, "device status", "module")
		if err != nil {
			return 0, err
		}
		mods = append(mods, m)
	}
	slices.Sort(mods)
	if want == 0 {
		return mods[0], nil
	}
	if !slices.Contains(mods, want) {
		return 0, fmt.Errorf("%w: rPDU2 module %d not found (device has %v)", ErrNoSuchObject, want, mods)
	}
	return want, nil
}

// readings returns the readings of module mod in rows of table t, sorted
// by Index and then in column order.
func (t rpdu2Table) readings(rows []rpdu2Row, mod int) ([]collectors.Reading, error) {
	slices.SortFunc(rows, func(a, b rpdu2Row) int { return compareIndex(a.index, b.index) })
	var out []collectors.Reading
	seen := map[int]string{}
	for _, r := range rows {
		m, err := requireInt(r, rpdu2ModuleColumn, t.name, "module")
		if err != nil {
			return nil, err
		}
		if m != mod {
			continue
		}
		idx, err := t.index(r)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[idx]; dup {
			return nil, fmt.Errorf("%w: rPDU2 %s rows %s and %s both have number %d", ErrDecode, t.name, prev, r.index, idx)
		}
		seen[idx] = r.index
		out = append(out, t.rowReadings(r, idx)...)
	}
	slices.SortStableFunc(out, func(a, b collectors.Reading) int { return cmp.Compare(a.Index, b.Index) })
	return out, nil
}

// index returns the Index of row r: its number column, or 0 for the device.
func (t rpdu2Table) index(r rpdu2Row) (int, error) {
	if t.number == 0 {
		return 0, nil
	}
	n, err := requireInt(r, t.number, t.name, "number")
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%w: rPDU2 %s row %s: number %d is not positive", ErrDecode, t.name, r.index, n)
	}
	return n, nil
}

// rowReadings returns the readings of one row, leaving out every value the
// device does not have.
func (t rpdu2Table) rowReadings(r rpdu2Row, idx int) []collectors.Reading {
	var out []collectors.Reading
	for _, c := range t.cols {
		if t.keep != nil && !t.keep(r, c.metric) {
			continue
		}
		v, ok := c.value(r.cols[c.sub])
		if !ok {
			continue
		}
		out = append(out, collectors.Reading{Metric: c.metric, Scope: t.scope, Index: idx, Value: v})
	}
	return out
}

// value converts a varbind of column c, or reports that there is no value.
func (c rpdu2Column) value(p gosnmp.SnmpPDU) (float64, bool) {
	raw, ok := intValue(p)
	switch {
	case !ok, raw == -1, raw < 0 && !c.signed, c.max > 0 && raw > c.max:
		return 0, false
	}
	return float64(raw) * c.mul / c.div, true
}

// requireInt returns column col of row r, which must be an integer.
func requireInt(r rpdu2Row, col int, table, what string) (int, error) {
	p, ok := r.cols[col]
	if !ok {
		return 0, fmt.Errorf("%w: rPDU2 %s row %s has no %s", ErrDecode, table, r.index, what)
	}
	v, ok := intValue(p)
	if !ok {
		return 0, fmt.Errorf("%w: rPDU2 %s row %s: %s is %s, want Integer", ErrDecode, table, r.index, what, p.Type)
	}
	return int(v), nil
}

// intValue returns the value of an INTEGER-family varbind (Integer, Gauge32,
// Unsigned32). Anything else, including noSuchObject, noSuchInstance and a
// missing varbind (the zero SnmpPDU), is not a value.
func intValue(p gosnmp.SnmpPDU) (int64, bool) {
	switch p.Type {
	case gosnmp.Integer, gosnmp.Gauge32, gosnmp.Uinteger32:
	default:
		return 0, false
	}
	switch v := p.Value.(type) {
	case int:
		return int64(v), true
	case uint:
		return int64(v), true //nolint:gosec // a 32-bit value
	case uint32:
		return int64(v), true
	}
	return 0, false
}

// compareIndex orders SNMP row indexes numerically, sub-identifier by
// sub-identifier.
func compareIndex(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}
