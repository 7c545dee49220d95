package snmp

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
)

// rd builds a Reading; tests read better with one line per reading.
func rd(m c.Metric, s c.Scope, idx int, v float64) c.Reading {
	return c.Reading{Metric: m, Scope: s, Index: idx, Value: v}
}

// Expected readings of testdata/rpdu2_nps.snmprec, worked out by hand from
// the lines named in each comment.
var (
	npsHost = []c.Reading{
		rd(c.PowerWatts, c.ScopeDevice, 0, 2500),            // .4.3.1.5.1 = 250 × 10 W
		rd(c.ApparentPowerVA, c.ScopeDevice, 0, 2600),       // .4.3.1.16.1 = 260 × 10 VA
		rd(c.PowerFactorRatio, c.ScopeDevice, 0, 0.96),      // .4.3.1.17.1 = 96 / 100
		rd(c.EnergyJoules, c.ScopeDevice, 0, 4_444_200_000), // .4.3.1.9.1 = 12345 × 0.1 kWh × 3.6e6 J
		rd(c.CurrentAmperes, c.ScopePhase, 1, 5.2),          // .6.3.1.5.1 = 52 / 10
		rd(c.VoltageVolts, c.ScopePhase, 1, 230),            // .6.3.1.6.1
		rd(c.PowerWatts, c.ScopePhase, 1, 1100),             // .6.3.1.7.1 = 110 × 10
		rd(c.ApparentPowerVA, c.ScopePhase, 1, 1150),        // .6.3.1.8.1 = 115 × 10
		rd(c.PowerFactorRatio, c.ScopePhase, 1, 0.95),       // .6.3.1.9.1 = 95 / 100
		rd(c.CurrentAmperes, c.ScopePhase, 2, 4.8),          // .6.3.1.5.2; .7-.9 are -1
		rd(c.VoltageVolts, c.ScopePhase, 2, 231),            // .6.3.1.6.2
		rd(c.CurrentAmperes, c.ScopePhase, 3, 0),            // .6.3.1.5.3 = 0: a real zero
		rd(c.VoltageVolts, c.ScopePhase, 3, 229),            // .6.3.1.6.3
		rd(c.PowerWatts, c.ScopePhase, 3, 0),                // .6.3.1.7.3 = 0; .8 noSuchInstance, .9 a string
		rd(c.CurrentAmperes, c.ScopeBank, 1, 2.5),           // .8.3.1.5.1 = 25 / 10
		rd(c.CurrentAmperes, c.ScopeBank, 2, 2.7),           // .8.3.1.5.2 = Gauge32 27 / 10
		rd(c.CurrentAmperes, c.ScopeOutlet, 1, 0.8),         // .9.4.3.1.6.1 = 8 / 10
		rd(c.PowerWatts, c.ScopeOutlet, 1, 180),             // .9.4.3.1.7.1, already W
		rd(c.EnergyJoules, c.ScopeOutlet, 1, 19_800_000),    // .9.4.3.1.11.1 = 55 × 360000
		rd(c.CurrentAmperes, c.ScopeOutlet, 3, 1.2),         // .9.4.3.1.6.3; outlet 2 all -1
		rd(c.PowerWatts, c.ScopeOutlet, 3, 270),             // .9.4.3.1.7.3; .11.3 is a string
		rd(c.TemperatureCelsius, c.ScopeSensor, 1, 23.5),    // .10.2.2.1.8.1 = 235 / 10
		rd(c.HumidityPercent, c.ScopeSensor, 1, 41),         // .10.2.2.1.10.1
		rd(c.TemperatureCelsius, c.ScopeSensor, 2, -0.5),    // .10.2.2.1.8.2 = -5 / 10; temperature-only probe
	}
	npsGuest = []c.Reading{
		rd(c.EnergyJoules, c.ScopeDevice, 0, 3_600_000), // .4.3.1.9.2 = 10 × 360000; power, VA, PF -1
		rd(c.CurrentAmperes, c.ScopePhase, 1, 3.1),      // .6.3.1.5.4 (module 2, number 1)
		rd(c.VoltageVolts, c.ScopePhase, 1, 232),        // .6.3.1.6.4
		rd(c.CurrentAmperes, c.ScopeOutlet, 1, 0.5),     // .9.4.3.1.6.25 (module 2, number 1)
		rd(c.PowerWatts, c.ScopeOutlet, 1, 100),         // .9.4.3.1.7.25; bank -1, probe not installed
	}
)

func TestParseRPDU2Fixture(t *testing.T) {
	pdus := loadVarbinds(t, filepath.Join("testdata", "rpdu2_nps.snmprec"))
	tests := []struct {
		name    string
		module  int
		want    []c.Reading
		wantErr error
	}{
		{name: "module 0 is the host", module: 0, want: npsHost},
		{name: "host", module: 1, want: npsHost},
		{name: "guest", module: 2, want: npsGuest},
		{name: "absent module", module: 3, wantErr: ErrNoSuchObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRPDU2(pdus, tt.module)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readings:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// Shorthands for hand-built varbinds.
const (
	dev    = ".1.3.6.1.4.1.318.1.1.26.4.3.1."
	phase  = ".1.3.6.1.4.1.318.1.1.26.6.3.1."
	sensor = ".1.3.6.1.4.1.318.1.1.26.10.2.2.1."
)

func vInt(name string, v int) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: name, Type: gosnmp.Integer, Value: v}
}

func vOf(name string, typ gosnmp.Asn1BER, v any) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: name, Type: typ, Value: v}
}

// hostRow is a valid device row of module 1, to which cases add varbinds.
func hostRow(extra ...gosnmp.SnmpPDU) []gosnmp.SnmpPDU {
	return append([]gosnmp.SnmpPDU{vInt(dev+"2.1", 1)}, extra...)
}

func TestParseRPDU2Values(t *testing.T) {
	tests := []struct {
		name string
		pdus []gosnmp.SnmpPDU
		want []c.Reading
	}{
		{"power", hostRow(vInt(dev+"5.1", 114)), []c.Reading{rd(c.PowerWatts, c.ScopeDevice, 0, 1140)}},
		{"OID without leading dot", hostRow(vInt(dev[1:]+"5.1", 114)), []c.Reading{rd(c.PowerWatts, c.ScopeDevice, 0, 1140)}},
		{"-1 sentinel", hostRow(vInt(dev+"5.1", -1)), nil},
		{"other negative", hostRow(vInt(dev+"5.1", -20)), nil},
		{"noSuchObject", hostRow(vOf(dev+"5.1", gosnmp.NoSuchObject, nil)), nil},
		{"noSuchInstance", hostRow(vOf(dev+"5.1", gosnmp.NoSuchInstance, nil)), nil},
		{"Null", hostRow(vOf(dev+"5.1", gosnmp.Null, nil)), nil},
		{"OctetString", hostRow(vOf(dev+"5.1", gosnmp.OctetString, []byte("114"))), nil},
		{"Counter64", hostRow(vOf(dev+"5.1", gosnmp.Counter64, uint64(114))), nil},
		{"TimeTicks", hostRow(vOf(dev+"5.1", gosnmp.TimeTicks, uint32(114))), nil},
		{"Integer type, wrong Go value", hostRow(vOf(dev+"5.1", gosnmp.Integer, "114")), nil},
		{"Gauge32", hostRow(vOf(dev+"5.1", gosnmp.Gauge32, uint(114))), []c.Reading{rd(c.PowerWatts, c.ScopeDevice, 0, 1140)}},
		{"Unsigned32", hostRow(vOf(dev+"5.1", gosnmp.Uinteger32, uint32(114))), []c.Reading{rd(c.PowerWatts, c.ScopeDevice, 0, 1140)}},
		{"power factor 1.00", hostRow(vInt(dev+"17.1", 100)), []c.Reading{rd(c.PowerFactorRatio, c.ScopeDevice, 0, 1)}},
		{"power factor above 1", hostRow(vInt(dev+"17.1", 150)), nil},
		{"device row without values", hostRow(), nil},
		{"humidity above 100", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1), vInt(sensor+"10.1", 120)), nil},
		{"temperature -1 is the sentinel, not -0.1 °C", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1), vInt(sensor+"8.1", -1)), nil},
		{"temperature -2 is -0.2 °C", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1), vInt(sensor+"8.1", -2)),
			[]c.Reading{rd(c.TemperatureCelsius, c.ScopeSensor, 1, -0.2)}},
		{"temperature-only probe has no humidity", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1), vInt(sensor+"5.1", 1),
			vInt(sensor+"8.1", 215), vInt(sensor+"10.1", 0)), []c.Reading{rd(c.TemperatureCelsius, c.ScopeSensor, 1, 21.5)}},
		{"sensor comms lost", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1), vInt(sensor+"5.1", 3), vInt(sensor+"8.1", 200)), nil},
		{"sensor type garbage: sentinels still apply", hostRow(vInt(sensor+"2.1", 1), vInt(sensor+"4.1", 1),
			vOf(sensor+"5.1", gosnmp.OctetString, []byte("x")), vInt(sensor+"8.1", 200), vInt(sensor+"10.1", -1)),
			[]c.Reading{rd(c.TemperatureCelsius, c.ScopeSensor, 1, 20)}},
		{"other module's rows ignored", hostRow(vInt(dev+"2.2", 2), vInt(dev+"5.2", 5), vInt(phase+"2.9", 2), vInt(phase+"3.9", 1), vInt(phase+"6.9", 230)), nil},
		{"rows sorted by number, not row index", hostRow(
			vInt(phase+"2.10", 1), vInt(phase+"3.10", 2), vInt(phase+"6.10", 231),
			vInt(phase+"2.9", 1), vInt(phase+"3.9", 1), vInt(phase+"6.9", 230)),
			[]c.Reading{rd(c.VoltageVolts, c.ScopePhase, 1, 230), rd(c.VoltageVolts, c.ScopePhase, 2, 231)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRPDU2(tt.pdus, 0)
			if err != nil {
				t.Fatalf("err: got %v, want nil", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseRPDU2Errors(t *testing.T) {
	tests := []struct {
		name string
		pdus []gosnmp.SnmpPDU
		want error
	}{
		{"nothing at all", nil, ErrNoSuchObject},
		{"only other MIBs", []gosnmp.SnmpPDU{vOf(".1.3.6.1.2.1.1.1.0", gosnmp.OctetString, []byte("x"))}, ErrNoSuchObject},
		{"device module is a string", []gosnmp.SnmpPDU{vOf(dev+"2.1", gosnmp.OctetString, []byte("1"))}, ErrDecode},
		{"device row without module", []gosnmp.SnmpPDU{vInt(dev+"5.1", 114)}, ErrDecode},
		{"two device rows of one module", hostRow(vInt(dev+"2.2", 1)), ErrDecode},
		{"phase number noSuchInstance", hostRow(vInt(phase+"2.1", 1), vOf(phase+"3.1", gosnmp.NoSuchInstance, nil)), ErrDecode},
		{"phase without module", hostRow(vInt(phase+"3.1", 1), vInt(phase+"6.1", 230)), ErrDecode},
		{"phase number zero", hostRow(vInt(phase+"2.1", 1), vInt(phase+"3.1", 0)), ErrDecode},
		{"two phases numbered 1", hostRow(vInt(phase+"2.1", 1), vInt(phase+"3.1", 1), vInt(phase+"2.2", 1), vInt(phase+"3.2", 1)), ErrDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRPDU2(tt.pdus, 0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err: got %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("readings: got %v, want none", got)
			}
		})
	}
}

func TestRPDU2Roots(t *testing.T) {
	got := rpdu2Profile.Roots()
	want := []string{
		"1.3.6.1.4.1.318.1.1.26.4.3.1", "1.3.6.1.4.1.318.1.1.26.6.3.1", "1.3.6.1.4.1.318.1.1.26.8.3.1",
		"1.3.6.1.4.1.318.1.1.26.9.4.3.1", "1.3.6.1.4.1.318.1.1.26.10.2.2.1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLookupProfile(t *testing.T) {
	p, err := LookupProfile("apc-rpdu2")
	if err != nil || p.Name() != "apc-rpdu2" {
		t.Fatalf("got %v, %v, want apc-rpdu2, nil", p, err)
	}
	_, err = LookupProfile("raritan-px9")
	if !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("err: got %v, want %v", err, ErrUnknownProfile)
	}
	if p, err := LookupProfile(DefaultProfile); err != nil || p.Name() != "auto" {
		t.Errorf("default: got %v, %v, want auto, nil", p, err)
	}
	for _, want := range []string{"apc-inrow", "apc-rpdu2", "auto"} {
		if names := ProfileNames(); !slices.Contains(names, want) {
			t.Errorf("names: got %v, want %s among them", names, want)
		}
	}
}
