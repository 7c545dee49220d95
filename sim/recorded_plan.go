package sim

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// Reader turns a device's variable bindings into its normalised readings,
// as a collector's profile does (collectors/snmp's *Def is one). The
// simulator asks it which objects of a recording carry which reading, and
// at what scale, so that it overlays the live load on a recorded PDU from
// the profile's own data, not from code written per vendor.
type Reader interface {
	// Roots are the subtrees the reader reads.
	Roots() []string
	// Parse returns the readings of one module (0: the first) of pdus.
	Parse(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error)
}

// ErrNoLiveObjects means that a recording holds no power reading the
// simulator can make follow a load: a switched PDU that measures only
// current, or a device that is not a PDU.
var ErrNoLiveObjects = errors.New("sim: the recording has no device power reading to follow the load")

// overlaid are the metrics that follow the load. Voltage and power factor
// stay as recorded; they set how current and apparent power follow power.
var overlaid = []collectors.Metric{collectors.PowerWatts, collectors.ApparentPowerVA,
	collectors.CurrentAmperes, collectors.EnergyJoules}

// LiveObject is one object of a recording that follows the load: what the
// Reader reads from it and how many of the reading's base units one unit
// of the raw value is (Raritan's 1 decimal digit: 0.1; Eaton's mA: 0.001).
type LiveObject struct {
	OID      OID
	Reading  collectors.Reading // as read from the recording
	PerRaw   float64            // base units per raw unit
	Share    float64            // of its metric and scope's total, from the recorded values
	decimals int                // digits after the point, for a value written as text
}

// RecordingPlan is a recording of a PDU with the objects that follow its
// load. It is immutable: many simulated PDUs may serve one plan.
type RecordingPlan struct {
	name    string
	records []Record
	live    []LiveObject
	pf      float64 // power factor: recorded, else 0.95
	volts   float64 // line-to-neutral voltage: recorded, else 230
	phases  int     // phases the recording shows in use, at least 1
	ratedA  float64 // the input's rated current per phase, as recorded; 0 unknown
}

// Live returns the objects that follow the load.
func (p *RecordingPlan) Live() []LiveObject { return slices.Clone(p.live) }

// Name is the recording's name, as given to PlanRecording.
func (p *RecordingPlan) Name() string { return p.name }

// Phases is how many phases the recording shows in use (a reading above 0
// of power, current or voltage), at least 1: what an inventory that
// describes the recorded device must say, since the simulator spreads the
// load over those phases only.
func (p *RecordingPlan) Phases() int { return p.phases }

// Volts is the line-to-neutral voltage the recording shows (its device's
// or its phase 1's), else 230 V: the voltage the simulated currents are
// derived at (current = power / power factor / Volts), which an inventory
// must say for its breaker sums to match them.
func (p *RecordingPlan) Volts() float64 { return p.volts }

// RatedAmps is the rated current of each input phase as the recorded
// device reports it (its input's or a phase's rated_current_amperes, the
// lowest where they differ), and false where it reports none: what an
// inventory would take for the PDU's breaker. A branch breaker's rating
// (scope breaker) is not the input's, and is not taken.
func (p *RecordingPlan) RatedAmps() (float64, bool) { return p.ratedA, p.ratedA > 0 }

// PlanRecording finds, by asking r, the objects of recs that hold power,
// apparent power, current and energy readings of the device: each numeric
// object under r's roots is changed by one unit in turn, and an object is
// live when exactly its readings change, of one of those metrics, in
// proportion (that proportion is its scale, whatever the profile derives
// it from). Objects whose recorded value is no reading (a sentinel) stay
// as recorded, unknown. name is the recording's, for errors.
func PlanRecording(name string, recs []Record, r Reader) (*RecordingPlan, error) {
	pdus, at := readerPDUs(recs, r.Roots())
	base, err := r.Parse(pdus, 0)
	if err != nil {
		return nil, fmt.Errorf("sim: recording %s: %w", name, err)
	}
	before := readingMap(base)
	p := &RecordingPlan{name: name, records: recs, pf: 0.95, volts: 230, phases: 1}
	p.recorded(base)
	pdus, at = relevant(r, pdus, at, base)
	for i := range pdus {
		obj, ok := probeObject(r, pdus, i, before)
		if ok {
			obj.OID = recs[at[i]].OID
			p.live = append(p.live, obj)
		}
	}
	p.live = oneEach(p.live)
	if !slices.ContainsFunc(p.live, func(o LiveObject) bool {
		return o.Reading.Metric == collectors.PowerWatts && o.Reading.Scope == collectors.ScopeDevice
	}) {
		return nil, fmt.Errorf("%w: %s", ErrNoLiveObjects, name)
	}
	p.shares()
	return p, nil
}

// inUse are the readings that show a phase in use when they are above 0
// (an HPE G5 lists three phases, two at 0 V: a single-phase unit).
var inUse = []collectors.Metric{collectors.PowerWatts, collectors.CurrentAmperes, collectors.VoltageVolts}

// recorded takes the power factor, voltage, number of phases in use and
// input rating from the recording's readings, where it has them.
func (p *RecordingPlan) recorded(base []collectors.Reading) {
	phases := map[int]bool{}
	for _, rd := range base {
		switch {
		case rd.Metric == collectors.PowerFactorRatio && rd.Scope == collectors.ScopeDevice && rd.Value >= 0.5 && rd.Value <= 1:
			p.pf = rd.Value
		case rd.Metric == collectors.VoltageVolts && rd.Value >= 90 && rd.Value <= 300 &&
			(rd.Scope == collectors.ScopeDevice || (rd.Scope == collectors.ScopePhase && rd.Index == 1)):
			p.volts = rd.Value
		}
		if rd.Scope == collectors.ScopePhase && rd.Value > 0 && slices.Contains(inUse, rd.Metric) {
			phases[rd.Index] = true
		}
	}
	p.phases = max(1, len(phases))
	for _, rd := range base {
		if rd.Metric != collectors.RatedCurrentAmperes || rd.Value < minRatedA || rd.Value > maxRatedA {
			continue
		}
		input := rd.Scope == collectors.ScopeDevice || (rd.Scope == collectors.ScopePhase && (phases[rd.Index] || len(phases) == 0))
		if input && (p.ratedA == 0 || rd.Value < p.ratedA) {
			p.ratedA = rd.Value
		}
	}
}

// The input ratings RatedAmps believes: a rack PDU's input is rated
// between a few amperes and a few hundred; outside that, the object holds
// something else (a sentinel, a unit the profile misreads).
const (
	minRatedA = 1
	maxRatedA = 400
)

// readerPDUs returns the records under roots as varbinds, and the index of
// each one's record.
func readerPDUs(recs []Record, roots []string) ([]gosnmp.SnmpPDU, []int) {
	var prefixes []OID
	for _, s := range roots {
		if oid, err := ParseOID(s); err == nil {
			prefixes = append(prefixes, oid)
		}
	}
	var pdus []gosnmp.SnmpPDU
	var at []int
	for i, rec := range recs {
		if slices.ContainsFunc(prefixes, func(p OID) bool { return rec.OID.HasPrefix(p) }) {
			pdus = append(pdus, varbind(rec.OID, rec.Value))
			at = append(at, i)
		}
	}
	return pdus, at
}

// relevant drops from pdus the columns that no reading depends on, so
// that probing one object at a time parses only what matters (a Raritan
// PX4's walk holds 20,000 objects under its profile's roots, 1,000 of
// them read). A column is dropped when changing all its numbers at once
// changes no reading, and only if the rest still reads as the whole did.
func relevant(r Reader, pdus []gosnmp.SnmpPDU, at []int, base []collectors.Reading) ([]gosnmp.SnmpPDU, []int) {
	roots := r.Roots()
	cols := map[string][]int{}
	var order []string
	for i, p := range pdus {
		c := columnOf(p.Name, roots)
		if _, seen := cols[c]; !seen {
			order = append(order, c)
		}
		cols[c] = append(cols[c], i)
	}
	want := readingMap(base)
	drop := make([]bool, len(pdus))
	for _, c := range order {
		trial := slices.Clone(pdus)
		numeric := false
		for _, i := range cols[c] {
			v := Value{Type: pdus[i].Type, Data: pdus[i].Value}
			if raw, dec, ok := rawOf(v); ok {
				if nv, ok := withRaw(v, raw+1, dec); ok {
					trial[i], numeric = varbindOf(pdus[i].Name, nv), true
				}
			}
		}
		if !numeric {
			continue
		}
		if got, err := r.Parse(trial, 0); err == nil && maps.Equal(readingMap(got), want) {
			for _, i := range cols[c] {
				drop[i] = true
			}
		}
	}
	var kept []gosnmp.SnmpPDU
	var keptAt []int
	for i, p := range pdus {
		if !drop[i] {
			kept, keptAt = append(kept, p), append(keptAt, at[i])
		}
	}
	if got, err := r.Parse(kept, 0); err != nil || !maps.Equal(readingMap(got), want) {
		return pdus, at
	}
	return kept, keptAt
}

// columnOf is the column an object is in: its root and the next arc.
func columnOf(name string, roots []string) string {
	for _, root := range roots {
		if rest, ok := strings.CutPrefix(name, root+"."); ok {
			col, _, _ := strings.Cut(rest, ".")
			return root + "." + col
		}
	}
	return name
}

type readingKey struct {
	metric collectors.Metric
	scope  collectors.Scope
	index  int
}

func readingMap(rs []collectors.Reading) map[readingKey]float64 {
	m := make(map[readingKey]float64, len(rs))
	for _, r := range rs {
		m[readingKey{r.Metric, r.Scope, r.Index}] = r.Value
	}
	return m
}

// oneEach keeps one object per reading: where two change one reading, as
// a value and the multiplier a profile takes from another column do (the
// Rittal CMC III's), the value is the one of them that moves the reading
// least per unit.
func oneEach(live []LiveObject) []LiveObject {
	best := map[readingKey]int{}
	for i, o := range live {
		k := readingKey{o.Reading.Metric, o.Reading.Scope, o.Reading.Index}
		if j, ok := best[k]; !ok || o.PerRaw < live[j].PerRaw {
			best[k] = i
		}
	}
	var out []LiveObject
	for i, o := range live {
		if best[readingKey{o.Reading.Metric, o.Reading.Scope, o.Reading.Index}] == i {
			out = append(out, o)
		}
	}
	return out
}

// probeObject changes pdus[i] by one raw unit, then by two, and sees which
// readings follow in proportion; pdus[i] is restored before it returns.
func probeObject(r Reader, pdus []gosnmp.SnmpPDU, i int, before map[readingKey]float64) (LiveObject, bool) {
	one, ok := probeBy(r, pdus, i, 1, before)
	if !ok {
		return LiveObject{}, false
	}
	two, ok := probeBy(r, pdus, i, 2, before)
	if !ok || two.Reading != one.Reading || math.Abs(two.PerRaw-one.PerRaw) > 1e-6*one.PerRaw {
		return LiveObject{}, false // not linear: a scale, not a value
	}
	return one, true
}

// probeBy changes pdus[i] by delta raw units and returns the object if
// only overlaid readings change, all by the same positive amount.
func probeBy(r Reader, pdus []gosnmp.SnmpPDU, i int, delta float64, before map[readingKey]float64) (LiveObject, bool) {
	orig := pdus[i]
	raw, decimals, ok := rawOf(Value{Type: orig.Type, Data: orig.Value})
	if !ok {
		return LiveObject{}, false
	}
	changed, ok := withRaw(Value{Type: orig.Type, Data: orig.Value}, raw+delta, decimals)
	if !ok {
		return LiveObject{}, false
	}
	pdus[i] = varbindOf(orig.Name, changed)
	after, err := r.Parse(pdus, 0)
	pdus[i] = orig
	if err != nil {
		return LiveObject{}, false
	}
	var keys []readingKey
	per := 0.0
	for k, v := range readingMap(after) {
		old, had := before[k]
		if had && old == v {
			continue
		}
		d := v - old
		if !had || !slices.Contains(overlaid, k.metric) || d <= 0 || (per != 0 && math.Abs(d-per) > 1e-9*per) {
			return LiveObject{}, false
		}
		per = d
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return LiveObject{}, false
	}
	// One object may feed two readings (a single-phase PDU's input is its
	// phase 1): the widest scope names it.
	slices.SortFunc(keys, func(a, b readingKey) int { return cmp.Compare(scopeRank(a.scope), scopeRank(b.scope)) })
	k := keys[0]
	return LiveObject{Reading: collectors.Reading{Metric: k.metric, Scope: k.scope, Index: k.index, Value: before[k]},
		PerRaw: significant(per/delta, 9), decimals: decimals}, true
}

// significant rounds f to n significant digits: a scale of 0.001 that a
// subtraction of readings made 0.0009999999999994458 is 0.001.
func significant(f float64, n int) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(f))))
	return math.Round(f*p) / p
}

func scopeRank(s collectors.Scope) int {
	return slices.Index([]collectors.Scope{collectors.ScopeDevice, collectors.ScopePhase, collectors.ScopeBank,
		collectors.ScopeBreaker, collectors.ScopeOutlet}, s)
}

// shares gives each live object its share of its metric and scope's
// total, in proportion to its weight (evenly where all weigh 0), so that
// outlets the recording shows idle stay idle.
func (p *RecordingPlan) shares() {
	type group struct {
		m collectors.Metric
		s collectors.Scope
	}
	sum, n := map[group]float64{}, map[group]int{}
	for _, o := range p.live {
		g := group{o.Reading.Metric, o.Reading.Scope}
		sum[g] += weight(o)
		n[g]++
	}
	for i, o := range p.live {
		g := group{o.Reading.Metric, o.Reading.Scope}
		if sum[g] > 0 {
			p.live[i].Share = weight(o) / sum[g]
		} else {
			p.live[i].Share = 1 / float64(n[g])
		}
	}
}

// weight is an object's part of its group's total: its recorded value,
// but the same for every phase the recording shows in use, as the
// simulator spreads a rack's servers over its phases. A recording's
// imbalance of one moment, copied to a hundred PDUs, would make the
// controller warn of PhaseImbalance on every rack that has one.
func weight(o LiveObject) float64 {
	if o.Reading.Scope == collectors.ScopePhase && o.Reading.Value > 0 {
		return 1
	}
	return o.Reading.Value
}

// rawOf returns a value as a number, and for a decimal number written as
// text (an OCTET STRING), its digits after the point.
func rawOf(v Value) (float64, int, bool) {
	switch d := v.Data.(type) {
	case int:
		return float64(d), 0, v.Type == gosnmp.Integer
	case uint32:
		return float64(d), 0, true
	case uint64:
		return float64(d), 0, true
	case uint:
		return float64(d), 0, true
	case []byte:
		s := strings.TrimSpace(string(d))
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || s == "" {
			return 0, 0, false
		}
		_, frac, _ := strings.Cut(s, ".")
		return f, len(frac), true
	}
	return 0, 0, false
}

// withRaw returns a value of v's type holding raw (rounded to whole raw
// units, or to decimals for text), clamped to what the type can hold: an
// INTEGER stops short of 2^31-1, which collectors take for "no reading",
// and a Counter32 wraps as a real device's does.
func withRaw(v Value, raw float64, decimals int) (Value, bool) {
	if math.IsNaN(raw) || math.IsInf(raw, 0) {
		return Value{}, false
	}
	switch v.Type {
	case gosnmp.Integer:
		return Integer(int(max(0, min(math.Round(raw), math.MaxInt32-1)))), true
	case gosnmp.Gauge32:
		return Gauge32(uint32(max(0, min(math.Round(raw), math.MaxUint32-1)))), true
	case gosnmp.Counter32:
		return Counter32(uint32(uint64(max(0, math.Round(raw))) % (1 << 32))), true
	case gosnmp.Counter64:
		return Counter64(uint64(max(0, math.Round(raw)))), true
	case gosnmp.OctetString:
		return OctetString(strconv.FormatFloat(max(0, raw), 'f', decimals, 64)), true
	}
	return Value{}, false
}

// varbindOf is varbind for a name already in dotted form.
func varbindOf(name string, v Value) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: name, Type: v.Type, Value: v.Data}
}

// Varbinds returns records as the variable bindings an agent would send,
// for a Reader or for choosing one (collectors/snmp's MatchWalk).
func Varbinds(recs []Record) []gosnmp.SnmpPDU {
	out := make([]gosnmp.SnmpPDU, len(recs))
	for i, r := range recs {
		out[i] = varbind(r.OID, r.Value)
	}
	return out
}
