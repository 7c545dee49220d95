package snmp

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// Def is a profile loaded from its declarative definition (see
// profiles/README.md). It implements Profile: Roots lists its tables'
// entries and Parse turns their varbinds into readings. A Def is immutable
// once loaded and safe for concurrent use.
type Def struct {
	name, title, kind, reports, file string
	aliases                          []string
	match                            []matchRule
	maxReps                          uint32
	notAvailable                     []float64
	unitTable                        int // index in tables of the table listing the units; -1: none
	tables                           []*table
}

var _ Profile = (*Def)(nil)

// matchRule is one way a device is recognised: its sysObjectID starts with
// prefix, and probe (when set) exists.
type matchRule struct{ prefix, probe string }

// table is a compiled tableDef.
type table struct {
	name, entry  string
	scope        collectors.Scope
	required     bool
	index        []string
	only         map[string]int64
	unitColumn   int
	numberColumn int
	ordinal      bool
	strict       bool
	when         []condDef
	describe     *describe
	order        []collectors.Metric
	cols         []*column
	line         int
}

// column is a compiled columnDef.
type column struct {
	col           int
	metric        collectors.Metric
	scope         collectors.Scope
	mul, div      float64
	scaleTable    string
	scaleCol      int
	scaleKind     string
	precisionCol  int
	unitsCol      int
	whenIndex     map[string]int64
	when          []condDef
	counter, text bool
	enum          map[int64]float64
	max           float64
	line          int
}

// describe is a compiled describeDef.
type describe struct {
	col, value, unitsCol, scaleCol int
	signed                         bool // the scale column is signed (see signedScale), not a divisor
	mul, div                       float64
	rules                          []rule
}

type rule struct {
	all, none   []*regexp.Regexp
	skip        bool
	metric      collectors.Metric
	scope       collectors.Scope
	firstNumber bool
	number      *regexp.Regexp // its one group is the Index ("l([0-9]+)" of "phase l2 voltage")
}

// Name returns the profile's name.
func (d *Def) Name() string { return d.name }

// Title says what devices the profile reads.
func (d *Def) Title() string { return d.title }

// Kind is pdu, cooling, ups or env.
func (d *Def) Kind() string { return d.kind }

// Reports, for a profile of devices that hold nothing dcplane uses, says
// what they report instead; it is "" for every other profile.
func (d *Def) Reports() string { return d.reports }

// MaxRepetitions is the GETBULK max-repetitions the profile asks for; 0
// means the target's.
func (d *Def) MaxRepetitions() uint32 { return d.maxReps }

// Roots returns the entries of the profile's tables, each once, in order.
func (d *Def) Roots() []string {
	var roots []string
	for _, t := range d.tables {
		if !slices.Contains(roots, t.entry) {
			roots = append(roots, t.entry)
		}
	}
	return roots
}

func (d *Def) tableIndex(name string) int {
	return slices.IndexFunc(d.tables, func(t *table) bool { return t.name == name })
}

func (t *table) hasUnit() bool { return t.unitColumn > 0 || slices.Contains(t.index, "unit") }

// Parse implements Profile.
func (d *Def) Parse(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	r, err := d.parse(pdus, module)
	return r.readings, err
}

// parseResult is what one parse yields: the readings, and how many values
// were rejected, by reason.
type parseResult struct {
	readings []collectors.Reading
	rejected map[string]int
}

// The reasons a value is rejected, for Collector.Rejected.
const (
	RejectSentinel   = "sentinel"     // a value the MIB defines as "not available"
	RejectNegative   = "negative"     // below zero for a quantity that cannot be
	RejectRange      = "out_of_range" // above the quantity's or the column's bound
	RejectImpossible = "impossible"   // a saturated integer (2^31-1, 2^32-1) or beyond any real device
	RejectType       = "wrong_type"   // not a number of the types the column takes
	RejectUnits      = "units"        // units the quantity cannot be in
	RejectScale      = "scale"        // a scale column holding no usable scale
	// RejectOverCapacity is a power or current beyond ten times what the
	// device's own ratings allow (see overCapacity).
	RejectOverCapacity = "over_capacity"
)

// row is one table row: its index and its varbinds by column.
type row struct {
	index string
	sub   []int64
	cols  map[int]gosnmp.SnmpPDU
}

// parse turns the varbinds of d's tables into the readings of one module
// (0: the lowest). It is pure: no I/O, no clock.
func (d *Def) parse(pdus []gosnmp.SnmpPDU, module int) (parseResult, error) {
	res := parseResult{rejected: map[string]int{}}
	rows, err := d.group(pdus)
	if err != nil {
		return res, err
	}
	for i, t := range d.tables {
		if t.required && len(rows[i]) == 0 {
			return res, fmt.Errorf("%w: no %s table (%s; not a device of profile %s?)", ErrNoSuchObject, t.name, t.entry, d.name)
		}
	}
	unit, err := d.selectUnit(rows, module)
	if err != nil {
		return res, err
	}
	for i, t := range d.tables {
		rs, err := d.tableReadings(t, rows, rows[i], unit, res.rejected)
		if err != nil {
			return parseResult{rejected: res.rejected}, err
		}
		res.readings = append(res.readings, rs...)
	}
	res.readings = overCapacity(res.readings, res.rejected)
	return res, nil
}

// capacityFactor is how many times what a device's own ratings allow a
// reading may be before it is no measurement: a PDU's breakers trip at
// well under twice their rating, so ten times is a unit mistake or
// garbage, never a load.
const capacityFactor = 10

// assumedVolts works out a capacity in watts for a device that reports its
// ratings but no voltage: the highest voltage of common distribution (480 V
// line to line), so that a wrong guess rejects nothing real.
const assumedVolts = 480

// overCapacity drops, counting them as RejectOverCapacity, the power and
// current readings of a device beyond capacityFactor times the capacity its
// own ratings (rated_current_amperes) give: all its ratings summed, in
// watts at its highest voltage. A device that reports no rating keeps its
// readings: only the plausibility bounds apply.
func overCapacity(rs []collectors.Reading, rejected map[string]int) []collectors.Reading {
	var amps, volts float64
	for _, r := range rs {
		switch r.Metric {
		case collectors.RatedCurrentAmperes:
			amps += r.Value
		case collectors.VoltageVolts, collectors.VoltageLineToLineVolts:
			volts = max(volts, r.Value)
		}
	}
	if amps <= 0 {
		return rs
	}
	if volts <= 0 {
		volts = assumedVolts
	}
	out := rs[:0]
	for _, r := range rs {
		limit := 0.0
		switch r.Metric {
		case collectors.PowerWatts, collectors.ApparentPowerVA:
			limit = capacityFactor * amps * volts
		case collectors.CurrentAmperes:
			limit = capacityFactor * amps
		}
		if limit > 0 && r.Value > limit {
			rejected[RejectOverCapacity]++
			continue
		}
		out = append(out, r)
	}
	return out
}

// group sorts varbinds into the rows of each table, rows in index order.
// A table whose declared index does not fit a row fails with ErrDecode.
func (d *Def) group(pdus []gosnmp.SnmpPDU) ([][]*row, error) {
	rows := make([][]*row, len(d.tables))
	at := make([]map[string]*row, len(d.tables))
	for _, p := range pdus {
		name := strings.TrimPrefix(p.Name, ".")
		for i, t := range d.tables {
			col, index, ok := splitColumn(name, t.entry)
			if !ok {
				continue
			}
			if at[i] == nil {
				at[i] = map[string]*row{}
			}
			r := at[i][index]
			if r == nil {
				sub, err := parseIndex(index)
				if err != nil || (len(t.index) > 0 && len(sub) != len(t.index)) {
					return nil, fmt.Errorf("%w: %s row index %q does not have the form %s", ErrDecode, t.name, index, strings.Join(t.index, "."))
				}
				r = &row{index: index, sub: sub, cols: map[int]gosnmp.SnmpPDU{}}
				at[i][index] = r
				rows[i] = append(rows[i], r)
			}
			r.cols[col] = p
		}
	}
	for _, rs := range rows {
		slices.SortFunc(rs, func(a, b *row) int { return slices.Compare(a.sub, b.sub) })
	}
	return rows, nil
}

// parseIndex parses a dotted row index into its sub-identifiers.
func parseIndex(index string) ([]int64, error) {
	parts := strings.Split(index, ".")
	sub := make([]int64, len(parts))
	for i, s := range parts {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, err
		}
		sub[i] = int64(n)
	}
	return sub, nil
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

// component returns the index sub-identifier called name, if the table
// declares it.
func (t *table) component(r *row, name string) (int64, bool) {
	i := slices.Index(t.index, name)
	if i < 0 || i >= len(r.sub) {
		return 0, false
	}
	return r.sub[i], true
}

// rowUnit returns the unit (module) of a row, or 0 when the table has none.
func (t *table) rowUnit(r *row) (int, error) {
	if t.unitColumn > 0 {
		return requireInt(t, r, t.unitColumn, "module")
	}
	if u, ok := t.component(r, "unit"); ok {
		return int(u), nil
	}
	return 0, nil
}

// selectUnit returns the unit to read: module, or the lowest unit the unit
// table lists when module is 0. A profile without units is one device.
func (d *Def) selectUnit(rows [][]*row, module int) (int, error) {
	if d.unitTable < 0 {
		if module > 1 {
			return 0, fmt.Errorf("%w: profile %s reads one unit per address; module %d does not exist", ErrNoSuchObject, d.name, module)
		}
		return 0, nil
	}
	t := d.tables[d.unitTable]
	var units []int
	for _, r := range rows[d.unitTable] {
		u, err := t.rowUnit(r)
		if err != nil {
			return 0, err
		}
		units = append(units, u)
	}
	slices.Sort(units)
	units = slices.Compact(units)
	switch {
	case len(units) == 0:
		return 0, fmt.Errorf("%w: no %s table (%s; not a device of profile %s?)", ErrNoSuchObject, t.name, t.entry, d.name)
	case module == 0:
		return units[0], nil
	case !slices.Contains(units, module):
		return 0, fmt.Errorf("%w: %s module %d not found (device has %v)", ErrNoSuchObject, d.name, module, units)
	}
	return module, nil
}

// tableReadings returns the readings of unit's rows of table t.
func (d *Def) tableReadings(t *table, all [][]*row, rows []*row, unit int, rejected map[string]int) ([]collectors.Reading, error) {
	var out []keyed
	seen := map[int]string{}
	n := 0
	for _, r := range rows {
		if !t.selected(r) {
			continue
		}
		u, err := t.rowUnit(r)
		if err != nil {
			return nil, err
		}
		if t.hasUnit() && u != unit {
			continue
		}
		n++
		idx, err := t.number(r, n)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[idx]; dup && (t.numberColumn > 0 || t.unitColumn > 0) {
			return nil, fmt.Errorf("%w: %s rows %s and %s both have number %d", ErrDecode, t.name, prev, r.index, idx)
		}
		seen[idx] = r.index
		if !holds(t.when, r) {
			continue
		}
		var rs []keyed
		if t.describe != nil {
			rs, err = d.describedReadings(t, r, rejected)
		} else {
			rs, err = d.rowReadings(t, all, r, idx, rejected)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return t.finish(out), nil
}

// selected says whether a row passes the table's only: filter.
func (t *table) selected(r *row) bool {
	for name, want := range t.only {
		if v, ok := t.component(r, name); !ok || v != want {
			return false
		}
	}
	return true
}

// number returns the Index of a row: 0 for a device-scoped table without a
// number, else its number column, its "number" sub-identifier, or its
// ordinal n.
func (t *table) number(r *row, n int) (int, error) {
	switch {
	case t.numberColumn > 0:
		v, err := requireInt(t, r, t.numberColumn, "number")
		if err != nil {
			return 0, err
		}
		if v < 1 {
			return 0, fmt.Errorf("%w: %s row %s: number %d is not positive", ErrDecode, t.name, r.index, v)
		}
		return v, nil
	case t.ordinal:
		return n, nil
	}
	if v, ok := t.component(r, "number"); ok {
		return int(v), nil
	}
	return 0, nil
}

// requireInt returns column col of row r, which must be an integer.
func requireInt(t *table, r *row, col int, what string) (int, error) {
	p, ok := r.cols[col]
	if !ok {
		return 0, fmt.Errorf("%w: %s row %s has no %s", ErrDecode, t.name, r.index, what)
	}
	v, ok := intValue(p)
	if !ok {
		return 0, fmt.Errorf("%w: %s row %s: %s is %s, want Integer", ErrDecode, t.name, r.index, what, p.Type)
	}
	return int(v), nil
}

// holds says whether every condition holds for row r. A condition on a
// column that is absent or not an integer holds: garbage in a status column
// does not hide a value.
func holds(conds []condDef, r *row) bool {
	for _, c := range conds {
		v, ok := intValue(r.cols[c.Col])
		if !ok {
			continue
		}
		if (len(c.In) > 0 && !slices.Contains(c.In, v)) || slices.Contains(c.NotIn, v) {
			return false
		}
	}
	return true
}

// keyed is a reading with what decides between two readings of one key.
type keyed struct {
	collectors.Reading
	converted bool // from °F: a reading of the same key that was not converted wins
}

// finish drops all but one reading per key (the first, unless it was
// converted and a later one was not) and orders them: by the table's order
// of metrics when it has one, else by Index, keeping column order.
func (t *table) finish(in []keyed) []collectors.Reading {
	type key struct {
		m collectors.Metric
		s collectors.Scope
		i int
	}
	best := map[key]int{}
	var kept []keyed
	for _, r := range in {
		k := key{r.Metric, r.Scope, r.Index}
		if j, ok := best[k]; ok {
			if kept[j].converted && !r.converted {
				kept[j] = r
			}
			continue
		}
		best[k] = len(kept)
		kept = append(kept, r)
	}
	out := make([]collectors.Reading, len(kept))
	for i, r := range kept {
		out[i] = r.Reading
	}
	if len(t.order) > 0 {
		rank := func(m collectors.Metric) int { return slices.Index(t.order, m) }
		slices.SortStableFunc(out, func(a, b collectors.Reading) int {
			return cmp.Or(cmp.Compare(rank(a.Metric), rank(b.Metric)), cmp.Compare(a.Index, b.Index))
		})
		return out
	}
	slices.SortStableFunc(out, func(a, b collectors.Reading) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// rowReadings returns the readings of one row of a column table.
func (d *Def) rowReadings(t *table, all [][]*row, r *row, idx int, rejected map[string]int) ([]keyed, error) {
	var out []keyed
	for _, c := range t.cols {
		if !c.applies(t, r) {
			continue
		}
		p, present := r.cols[c.col]
		if !present || absent(p) {
			continue
		}
		raw, ok := c.raw(p)
		if !ok {
			if t.strict {
				return nil, fmt.Errorf("%w: %s row %s column %d is %s, want a number", ErrDecode, t.name, r.index, c.col, p.Type)
			}
			rejected[RejectType]++
			continue
		}
		v, converted, reason := d.value(t, all, r, c, raw)
		if reason != "" {
			if reason != RejectSentinel || raw != -1 {
				rejected[reason]++
			}
			continue
		}
		out = append(out, keyed{collectors.Reading{Metric: c.metric, Scope: c.scope, Index: indexFor(c.scope, idx)}, converted})
		out[len(out)-1].Value = v
	}
	return out, nil
}

// indexFor is 0 for the device scope, whatever the row's number.
func indexFor(s collectors.Scope, idx int) int {
	if s == collectors.ScopeDevice {
		return 0
	}
	return idx
}

// applies says whether column c is read in row r.
func (c *column) applies(t *table, r *row) bool {
	for name, want := range c.whenIndex {
		if v, ok := t.component(r, name); !ok || v != want {
			return false
		}
	}
	return holds(c.when, r)
}

// absent says whether a varbind says the device has no such value.
func absent(p gosnmp.SnmpPDU) bool {
	switch p.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.Null, gosnmp.EndOfMibView:
		return true
	}
	return false
}

// raw returns a column's value as sent: an INTEGER-family number, a
// counter when the column takes counters, or a decimal string when it
// takes text.
func (c *column) raw(p gosnmp.SnmpPDU) (float64, bool) {
	if v, ok := intValue(p); ok {
		return float64(v), true
	}
	if c.counter && p.Type == gosnmp.TimeTicks {
		if v, ok := p.Value.(uint32); ok {
			return float64(v), true
		}
	}
	if c.counter {
		switch v := p.Value.(type) {
		case uint:
			if p.Type == gosnmp.Counter32 || p.Type == gosnmp.Counter64 {
				return float64(v), true
			}
		case uint64:
			if p.Type == gosnmp.Counter64 {
				return float64(v), true
			}
		case uint32:
			if p.Type == gosnmp.Counter32 {
				return float64(v), true
			}
		}
	}
	if c.text && p.Type == gosnmp.OctetString {
		if s, ok := octets(p); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// value scales raw into the metric's base unit and checks it, returning the
// reason it is rejected ("" when it is a reading).
func (d *Def) value(t *table, all [][]*row, r *row, c *column, raw float64) (float64, bool, string) {
	if slices.Contains(d.notAvailable, raw) {
		return 0, false, RejectSentinel
	}
	if saturated(raw) {
		return 0, false, RejectImpossible
	}
	if c.enum != nil {
		v, ok := c.enum[int64(raw)]
		if !ok {
			return 0, false, RejectRange
		}
		return v, false, ""
	}
	if c.max > 0 && raw > c.max {
		return 0, false, RejectRange
	}
	v := raw * c.mul / c.div
	if c.scaleCol > 0 {
		var ok bool
		if v, ok = d.applyScaleColumn(t, all, r, c, v); !ok {
			return 0, false, RejectType
		}
	}
	converted := false
	if c.unitsCol > 0 {
		units, _ := octets(r.cols[c.unitsCol])
		var ok bool
		if v, converted, ok = toBase(quantityOf(c.metric), units, v); !ok {
			return 0, false, RejectUnits
		}
	}
	return v, converted, plausible(c.metric, raw, v)
}

// applyScaleColumn scales v by the scale column of c.
func (d *Def) applyScaleColumn(t *table, all [][]*row, r *row, c *column, v float64) (float64, bool) {
	src := r
	if c.scaleTable != "" {
		i := d.tableIndex(c.scaleTable)
		j := slices.IndexFunc(all[i], func(o *row) bool { return o.index == r.index })
		if j < 0 {
			return 0, false
		}
		src = all[i][j]
	}
	s, ok := intValue(src.cols[c.scaleCol])
	if !ok {
		return 0, false
	}
	switch c.scaleKind {
	case "decimals":
		if s < 0 || s > 9 {
			return 0, false
		}
		return v / pow10(int(s)), true
	case "divisor":
		if s < 1 {
			return 0, false
		}
		return v / float64(s), true
	}
	// ENTITY-SENSOR-MIB: scale is yocto(1)…units(9)…yotta(17), 10^(3(s-9));
	// precision is the number of decimal places of the value.
	if s < 1 || s > 17 {
		return 0, false
	}
	prec := int64(0)
	if c.precisionCol > 0 {
		if prec, ok = intValue(src.cols[c.precisionCol]); !ok || prec < -8 || prec > 9 {
			return 0, false
		}
	}
	exp := 3*(int(s)-9) - int(prec)
	if exp >= 0 {
		return v * pow10(exp), true
	}
	return v / pow10(-exp), true
}

func pow10(n int) float64 {
	f := 1.0
	for range n {
		f *= 10
	}
	return f
}

// saturated says whether raw is an integer type's maximum, which devices
// send for "no reading" without the MIB saying so.
func saturated(raw float64) bool {
	return raw == 2147483647 || raw == 4294967295 || raw == -2147483648
}

// octets returns an OCTET STRING's value.
func octets(p gosnmp.SnmpPDU) (string, bool) {
	if p.Type != gosnmp.OctetString {
		return "", false
	}
	switch v := p.Value.(type) {
	case []byte:
		return string(v), true
	case string:
		return v, true
	}
	return "", false
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
