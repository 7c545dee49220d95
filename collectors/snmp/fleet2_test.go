package snmp

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
)

// TestEasyPDUScales checks the apc-epdu scales on a loaded phase: the
// recorded EPDU1116S reads 0 V, 0 A and 0 W everywhere, which no scale
// changes. The values are those of a loaded EPDU1016M as NUT's
// apc-epdu-mib documents them (ePDUPhaseStatusVoltage.1 = 2304,
// ePDUPhaseStatusCurrent.1 = 355, ePDUPhaseStatusActivePower.1 = 785,
// ePDUDeviceStatusActivePower.1 = 785), and -1 is no reading.
func TestEasyPDUScales(t *testing.T) {
	const phase = ".1.3.6.1.4.1.318.1.1.30.4.2.1."
	pdus := []gosnmp.SnmpPDU{
		vInt(".1.3.6.1.4.1.318.1.1.30.2.1.1.7.1", 785),
		vInt(phase+"4.1", 2304), vInt(phase+"5.1", 355), vInt(phase+"6.1", 785),
		vInt(phase+"4.2", -1), vInt(phase+"5.2", -1),
	}
	rs, err := lookupDef("apc-epdu").Parse(pdus, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []c.Reading{
		rd(c.PowerWatts, c.ScopeDevice, 0, 785),
		rd(c.VoltageVolts, c.ScopePhase, 1, 230.4),
		rd(c.CurrentAmperes, c.ScopePhase, 1, 3.55),
		rd(c.PowerWatts, c.ScopePhase, 1, 785),
	}
	if len(rs) != len(want) {
		t.Fatalf("got %v, want %v", rs, want)
	}
	for i := range want {
		if rs[i] != want[i] {
			t.Errorf("reading %d: got %v, want %v", i, rs[i], want[i])
		}
	}
}

// TestSignedScale: Rittal CMC-III's cmcIIIVarScale divides by -n and
// multiplies by +n; 0 and absurd magnitudes are no scale.
func TestSignedScale(t *testing.T) {
	tests := []struct {
		v     float64
		s     int64
		want  float64
		valid bool
	}{
		{2292, -10, 229.2, true},
		{473, -100, 4.73, true},
		{2742, 1, 2742, true},
		{7, -1, 7, true},
		{5, 100, 500, true},
		{-95, -100, -0.95, true},
		{5, 0, 0, false},
		{5, 1_000_000_001, 0, false},
		{5, -1_000_000_001, 0, false},
	}
	for _, tt := range tests {
		got, ok := signedScale(tt.v, tt.s)
		if ok != tt.valid || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("signedScale(%v, %d): got %v, %v, want %v, %v", tt.v, tt.s, got, ok, tt.want, tt.valid)
		}
	}
}

// cmc3Row is one row of cmcIIIVarTable (device 2): name, type value (2),
// units, scale and integer value, quality ok (2).
func cmc3Row(v int, name, units string, scale gosnmp.SnmpPDU, value int) []gosnmp.SnmpPDU {
	col := func(n int) string { return fmt.Sprintf(".1.3.6.1.4.1.2606.7.4.2.2.1.%d.2.%d", n, v) }
	scale.Name = col(7)
	return []gosnmp.SnmpPDU{
		vOf(col(3), gosnmp.OctetString, []byte(name)), vInt(col(4), 2),
		vOf(col(5), gosnmp.OctetString, []byte(units)), scale,
		vInt(col(11), value), vInt(col(14), 2),
	}
}

// TestCMCIIIScales: each row's own signed scale applies; a row whose scale
// is garbage (zero, not an integer, absent) is unknown, counted, and does
// not fail the poll or come out as zero; a "…NoValue" quality hides a row.
func TestCMCIIIScales(t *testing.T) {
	integer := func(s int) gosnmp.SnmpPDU { return gosnmp.SnmpPDU{Type: gosnmp.Integer, Value: s} }
	noValue := cmc3Row(40, "Phase L3.Current.Value", "A", integer(-100), 0)
	noValue[5].Value = 22 // okNoValue
	noScale := slices.Delete(cmc3Row(41, "Phase L3.Voltage.Value", "V", integer(-10), 2303), 3, 4)
	pdus := slices.Concat(
		cmc3Row(12, "Total.Power.Active.Value", "kW", integer(-1000), 2742), // 2.742 kW
		cmc3Row(26, "Phase L1.Voltage.Value", "V", integer(-10), 2292),      // 229.2 V
		cmc3Row(36, "Phase L1.Current.Value", "A", integer(0), 473),         // scale 0: unknown
		cmc3Row(47, "Phase L2.Power.Active.Value", "W", integer(10), 104),   // ×10: 1040 W
		cmc3Row(79, "Phase L2.Current.Value", "A", gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: []byte("-100")}, 556),
		cmc3Row(90, "Phase L2.Voltage.Value", "V", gosnmp.SnmpPDU{Type: gosnmp.NoSuchInstance}, 2291),
		noValue, noScale,
	)
	res, err := lookupDef("rittal-cmc-iii").parse(pdus, 0)
	if err != nil {
		t.Fatalf("got %v, want the poll to succeed", err)
	}
	want := []c.Reading{
		rd(c.PowerWatts, c.ScopeDevice, 0, 2742),
		rd(c.PowerWatts, c.ScopePhase, 2, 1040),
		rd(c.VoltageVolts, c.ScopePhase, 1, 229.2),
	}
	if len(res.readings) != len(want) {
		t.Fatalf("got %v, want %v", res.readings, want)
	}
	for i := range want {
		if math.Abs(res.readings[i].Value-want[i].Value) > 1e-9 || res.readings[i].Metric != want[i].Metric ||
			res.readings[i].Scope != want[i].Scope || res.readings[i].Index != want[i].Index {
			t.Errorf("reading %d: got %v, want %v", i, res.readings[i], want[i])
		}
	}
	if got := res.rejected[RejectScale]; got != 4 {
		t.Errorf("rejected for scale: got %d, want 4 (%v)", got, res.rejected)
	}
}

// TestAKCPPorts: a port is read only when online, not in sensorError and
// in Celsius; .14 (tenths) is preferred to .3 (whole degrees); ports are
// numbered from 1 by their place.
func TestAKCPPorts(t *testing.T) {
	port := func(i, raw, degree, online, status, celsius int) []gosnmp.SnmpPDU {
		col := func(n int) string { return fmt.Sprintf(".1.3.6.1.4.1.3854.1.2.2.1.16.1.%d.%d", n, i) }
		ps := []gosnmp.SnmpPDU{vInt(col(3), degree), vInt(col(4), status), vInt(col(5), online), vInt(col(12), celsius)}
		if raw >= 0 {
			ps = append(ps, vInt(col(14), raw))
		}
		return ps
	}
	pdus := slices.Concat(
		port(0, 221, 22, 1, 2, 1), // sensor 1: 22.1 °C
		port(1, 0, 0, 2, 1, 1),    // offline
		port(2, 250, 25, 1, 7, 1), // sensorError
		port(3, 700, 70, 1, 2, 0), // Fahrenheit
		port(4, -1, 19, 1, 2, 1),  // no .14: 19 °C from .3
	)
	rs, err := lookupDef("akcp-sensorprobe").Parse(pdus, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []c.Reading{rd(c.TemperatureCelsius, c.ScopeSensor, 1, 22.1), rd(c.TemperatureCelsius, c.ScopeSensor, 5, 19)}
	if !slices.Equal(rs, want) {
		t.Errorf("got %v, want %v", rs, want)
	}
}

// TestDescribeLoaderErrors: a describe's scale_kind and a rule's number
// pattern are checked at load, with the file and line.
func TestDescribeLoaderErrors(t *testing.T) {
	const base = "name: x\ntitle: X\nkind: pdu\nmatch:\n  - sysobjectid: 1.3.6.1.4.1.9\ntables:\n  - name: t\n    entry: 1.3.6.1.4.1.9.1.1\n    describe:\n      col: 3\n      value: 11\n      scale_column: 7\n      scale_kind: signed\n      rules:\n        - {metric: voltage_volts, scope: phase, number: 'l([0-9]+)', all: [voltage]}\n"
	tests := []struct{ name, yaml, want string }{
		{"good", base, ""},
		{"unknown scale kind", strings.Replace(base, "scale_kind: signed", "scale_kind: log", 1), `x.yaml:7: table "t": describe: scale_kind "log"`},
		{"number without a group", strings.Replace(base, "'l([0-9]+)'", "'l[0-9]+'", 1), "rule 1: number"},
		{"number with two groups", strings.Replace(base, "'l([0-9]+)'", "'(l)([0-9]+)'", 1), "rule 1: number"},
		{"number not a regexp", strings.Replace(base, "'l([0-9]+)'", "'l(['", 1), "rule 1: number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadProfiles(fstest.MapFS{"x.yaml": {Data: []byte(tt.yaml)}})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want %q in it", err, tt.want)
			}
		})
	}
}

// TestFleet3Absent: what the recordings of the last eight profiles hold
// but must not report (sentinels, offline ports, rows of other kinds), and
// a Stulz unit other than the lowest read as its module.
func TestFleet3Absent(t *testing.T) {
	tests := []struct {
		file   string
		module int
		absent []c.Reading // Value ignored
		check  []c.Reading
	}{
		// port 1 (index 1) is offline: 3854.1.2.2.1.16.1.5.1|2|2; humidity .17.1.3.1|2|0
		{"akcp_serverprobe8.snmprec", 0, []c.Reading{rd(c.TemperatureCelsius, c.ScopeSensor, 2, 0), rd(c.HumidityPercent, c.ScopeSensor, 2, 0)}, nil},
		// 318.1.1.10.4.2.3.1.6.0.2|2|-1: a temperature-only sensor
		{"apc_emu.snmprec", 0, []c.Reading{rd(c.HumidityPercent, c.ScopeSensor, 2, 0)}, nil},
		// Phase L1.Power.Factor.Value .11.2.45|2|-95: left out; no neutral current as a phase
		{"rittal-cmc-iii-pu_pdu-controller.snmprec", 0, []c.Reading{rd(c.PowerFactorRatio, c.ScopePhase, 1, 0), rd(c.CurrentAmperes, c.ScopePhase, 0, 0)}, nil},
		// airFMSysAvgReturnTempC is not in the recording; no device supply air exists
		{"apc_airfm.snmprec", 0, []c.Reading{rd(c.ReturnAirCelsius, c.ScopeDevice, 0, 0), rd(c.SupplyAirCelsius, c.ScopeDevice, 0, 0)}, nil},
		// unit CA3 (address 3) is off: .1013.1.3.1|66|0, fan .6932.1.3.1|66|0
		{"stulz_wib8000.snmprec", 3, nil, []c.Reading{rd(c.UnitRunning, c.ScopeDevice, 0, 0), rd(c.FanSpeedPercent, c.ScopeDevice, 0, 0),
			rd(c.SupplyAirCelsius, c.ScopeDevice, 0, 21.5)}}, // .1193.1.3.1|2|215
		{"stulz_wib8000.snmprec", 5, nil, []c.Reading{rd(c.SupplyAirCelsius, c.ScopeDevice, 0, 16.7)}}, // .1193.1.5.1|2|167
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s module %d", tt.file, tt.module), func(t *testing.T) {
			w := loadWalk(t, tt.file)
			det, err := Detect(t.Context(), w, Defs())
			if err != nil {
				t.Fatal(err)
			}
			rs, err := det.Profile.Parse(w.pdus, tt.module)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.absent {
				for _, r := range rs {
					if r.Metric == a.Metric && r.Scope == a.Scope && r.Index == a.Index {
						t.Errorf("got %v, want no %s %s %d", r, a.Scope, a.Metric, a.Index)
					}
				}
			}
			if tt.check != nil {
				checkFleetReadings(t, rs, tt.check)
			}
		})
	}
}
