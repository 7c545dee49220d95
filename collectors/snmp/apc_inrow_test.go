package snmp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/sim"

	"github.com/dcplane/dcplane/internal/peer"
)

const inrowRecording = "apc_inrow-dx.snmprec"

// inrowDX are the readings of apc_inrow-dx.snmprec, worked out by hand.
// Each comment names the lines under coolingUnitStatusAnalogEntry
// (1.3.6.1.4.1.318.1.1.27.1.4.1.2.1) as COLUMN.UNIT.ENTRY|type|value.
var inrowDX = []c.Reading{
	// .2.1.25|4|Cool Output, .3.1.25|2|108, .4.1.25|4|kW, .5.1.25|2|10: 10.8 kW.
	// Not .2.1.8 Total Sensible Cooling Power (38.1 kW): the group's.
	rd(c.CoolingOutputWatts, c.ScopeDevice, 0, 10800),
	// .2.1.9|4|Supply Temperature, .3.1.9|2|194, .4.1.9|4|C, .5.1.9|2|10.
	// .10 is its °F twin (671); .26-.29 Upper/Lower Supply are left out.
	rd(c.SupplyAirCelsius, c.ScopeDevice, 0, 19.4),
	// .2.1.13|4|Return Temperature, .3.1.13|2|280, .4.1.13|4|C, .5.1.13|2|10.
	rd(c.ReturnAirCelsius, c.ScopeDevice, 0, 28),
	// No fan speed: .2.1.66|4|Condenser Fan Speed (16.3 %) is the outdoor
	// fan, .2.1.56-.63 Fan 1-8 are in rpm. No power: .2.1.70 Compressor
	// Power (1.44 kW) and .2.1.69 Condenser Fan Power (24 W) are parts.
	// .2.1.38|4|Rack Inlet Temperature 3, .3.1.38|2|209, .4.1.38|4|C, .5.1.38|2|10.
	// Sensors 1, 2 and 4 (.2.1.34-.37, .40, .41) have no .3 value: not
	// equipped. .2.1.11 Maximum Rack Inlet Temperature is derived.
	rd(c.TemperatureCelsius, c.ScopeSensor, 3, 20.9),
}

// analogOID is the OID of a column of coolingUnitStatusAnalogEntry.
func analogOID(col, unit, entry int) string {
	return fmt.Sprintf(".%s.%d.%d.%d", coolingAnalogEntry, col, unit, entry)
}

// ua returns the four varbinds of an analog row of unit u: description,
// value, units and scale.
func ua(u, entry int, descr string, value int, units string, scale int) []gosnmp.SnmpPDU {
	return []gosnmp.SnmpPDU{
		vOf(analogOID(analogDescription, u, entry), gosnmp.OctetString, []byte(descr)),
		vInt(analogOID(analogValue, u, entry), value),
		vOf(analogOID(analogUnits, u, entry), gosnmp.OctetString, []byte(units)),
		vInt(analogOID(analogScale, u, entry), scale),
	}
}

// a1 is ua for unit 1.
func a1(entry int, descr string, value int, units string, scale int) []gosnmp.SnmpPDU {
	return ua(1, entry, descr, value, units, scale)
}

// rows joins rows of varbinds.
func rows(rs ...[]gosnmp.SnmpPDU) []gosnmp.SnmpPDU { return slices.Concat(rs...) }

// replaceCol returns row with column col replaced by p (or dropped when p
// has no name).
func replaceCol(row []gosnmp.SnmpPDU, col int, p gosnmp.SnmpPDU) []gosnmp.SnmpPDU {
	out := slices.Clone(row)
	i := col - analogDescription
	if p.Name == "" {
		return slices.Delete(out, i, i+1)
	}
	out[i] = p
	return out
}

// cool is a valid Cool Output row, to which cases add others.
func cool() []gosnmp.SnmpPDU { return a1(25, "Cool Output", 108, "kW", 10) }

var coolReading = rd(c.CoolingOutputWatts, c.ScopeDevice, 0, 10800)

func TestParseInRowValues(t *testing.T) {
	supply := func(v float64) c.Reading { return rd(c.SupplyAirCelsius, c.ScopeDevice, 0, v) }
	inlet := func(n int, v float64) c.Reading { return rd(c.TemperatureCelsius, c.ScopeSensor, n, v) }
	fan := func(v float64) c.Reading { return rd(c.FanSpeedPercent, c.ScopeDevice, 0, v) }
	power := func(v float64) c.Reading { return rd(c.PowerWatts, c.ScopeDevice, 0, v) }
	tests := []struct {
		name string
		pdus []gosnmp.SnmpPDU
		want []c.Reading
	}{
		{"cool output kW", cool(), []c.Reading{coolReading}},
		{"cooling output W", a1(3, "Cooling Output", 10800, "W", 1), []c.Reading{coolReading}},
		{"OID without leading dot", []gosnmp.SnmpPDU{
			vOf(analogOID(2, 1, 25)[1:], gosnmp.OctetString, []byte("Cool Output")), vInt(analogOID(3, 1, 25)[1:], 108),
			vOf(analogOID(4, 1, 25)[1:], gosnmp.OctetString, []byte("kW")), vInt(analogOID(5, 1, 25)[1:], 10),
		}, []c.Reading{coolReading}},
		{"group and total left out", rows(a1(7, "Total Air Side Cooling Demand", 382, "kW", 10),
			a1(8, "Total Sensible Cooling Power", 381, "kW", 10), a1(9, "Group Cool Output", 300, "kW", 10)), nil},
		{"Supply Temperature", a1(9, "Supply Temperature", 194, "C", 10), []c.Reading{supply(19.4)}},
		{"Supply Air Temperature, °C", a1(2, "Supply Air Temperature", 159, "°C", 10), []c.Reading{supply(15.9)}},
		{"°F only: converted", a1(1, "Supply Air Temperature", 526, "F", 10), []c.Reading{supply(11.44)}}, // (52.6-32)×5/9
		{"°C twin wins over °F", rows(a1(9, "Supply Air", 526, "F", 10), a1(10, "Supply Air", 194, "C", 10)), []c.Reading{supply(19.4)}},
		{"°F used when °C twin has no value", rows(a1(9, "Supply Air", -1, "C", 10), a1(10, "Supply Air", 671, "F", 10)),
			[]c.Reading{supply(19.5)}}, // (67.1-32)×5/9
		{"lower entry wins", rows(a1(9, "Supply Temperature", 194, "C", 10), a1(40, "Supply Air Temperature", 250, "C", 10)),
			[]c.Reading{supply(19.4)}},
		{"upper and lower probes left out", rows(a1(26, "Upper Supply Temperature", 199, "C", 10),
			a1(32, "Lower Return Temperature", 277, "C", 10)), nil},
		{"fluid and power supply left out", rows(a1(1, "Supply Fluid Temperature", 70, "C", 10),
			a1(2, "Return Water Temperature", 120, "C", 10), a1(67, "Fan Power Supply 1", 2472, "A", 1000)), nil},
		{"return", a1(13, "Return Air Temperature", 280, "C", 10), []c.Reading{rd(c.ReturnAirCelsius, c.ScopeDevice, 0, 28)}},
		{"temperature in unknown units", a1(9, "Supply Temperature", 2925, "K", 10), nil},
		{"negative temperature", a1(9, "Supply Temperature", -5, "C", 10), []c.Reading{supply(-0.5)}},
		{"-1 sentinel", a1(9, "Supply Temperature", -1, "C", 10), nil},
		{"rack inlet numbered", a1(38, "Rack Inlet Temperature 3", 209, "C", 10), []c.Reading{inlet(3, 20.9)}},
		{"rack inlet alone is sensor 1", a1(5, "Rack Inlet Temperature", 221, "C", 10), []c.Reading{inlet(1, 22.1)}},
		{"maximum rack inlet left out", a1(11, "Maximum Rack Inlet Temperature", 209, "C", 10), nil},
		{"fan speed", a1(84, "Fan Speed", 650, "%", 10), []c.Reading{fan(65)}},
		{"fan speed 100 %", a1(84, "Evaporator Fan Speed", 100, "%", 1), []c.Reading{fan(100)}},
		{"fan speed above 100 %", a1(84, "Fan Speed", 1010, "%", 10), nil},
		{"fan speed in rpm", a1(84, "Fan Speed", 3510, "rpm", 1), nil},
		{"condenser fan speed left out", a1(66, "Condenser Fan Speed", 163, "%", 10), nil},
		{"power kW", a1(3, "Input Power", 144, "kW", 100), []c.Reading{power(1440)}},
		{"power W", a1(3, "Power", 1440, "W", 1), []c.Reading{power(1440)}},
		{"component power left out", rows(a1(69, "Condenser Fan Power", 24, "W", 1), a1(70, "Compressor Power", 144, "kW", 100)), nil},
		{"negative power", a1(3, "Power", -20, "W", 1), nil},
		{"unknown rows ignored, whatever their columns", rows(cool(),
			a1(15, "Humidity", 306, "%RH", 10), a1(71, "Unit Run Hours", 1216, "hr", 1),
			[]gosnmp.SnmpPDU{vOf(analogOID(2, 1, 90), gosnmp.OctetString, []byte("Mystery")),
				vOf(analogOID(3, 1, 90), gosnmp.OctetString, []byte("x"))}),
			[]c.Reading{coolReading}},
		{"no value: not equipped", replaceCol(a1(34, "Rack Inlet Temperature 1", 0, "C", 10), analogValue, gosnmp.SnmpPDU{}), nil},
		{"no value and no scale", []gosnmp.SnmpPDU{
			vOf(analogOID(2, 1, 34), gosnmp.OctetString, []byte("Rack Inlet Temperature 1")),
			vOf(analogOID(4, 1, 34), gosnmp.OctetString, []byte("C")),
		}, nil},
		{"value noSuchInstance", replaceCol(cool(), analogValue, vOf(analogOID(3, 1, 25), gosnmp.NoSuchInstance, nil)), nil},
		{"value Null", replaceCol(cool(), analogValue, vOf(analogOID(3, 1, 25), gosnmp.Null, nil)), nil},
		{"value Gauge32", replaceCol(cool(), analogValue, vOf(analogOID(3, 1, 25), gosnmp.Gauge32, uint(108))), []c.Reading{coolReading}},
		{"lowest unit by default", rows(ua(2, 25, "Cool Output", 50, "kW", 10), cool()), []c.Reading{coolReading}},
		{"sorted: device metrics, then sensors by number", rows(
			a1(40, "Rack Inlet Temperature 4", 230, "C", 10), a1(84, "Fan Speed", 650, "%", 10),
			a1(34, "Rack Inlet Temperature 1", 210, "C", 10), a1(13, "Return Temperature", 280, "C", 10),
			a1(9, "Supply Temperature", 194, "C", 10), cool()),
			[]c.Reading{coolReading, supply(19.4), rd(c.ReturnAirCelsius, c.ScopeDevice, 0, 28), fan(65), inlet(1, 21), inlet(4, 23)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInRow(tt.pdus, 0)
			if err != nil {
				t.Fatalf("err: got %v, want nil", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseInRowErrors(t *testing.T) {
	str := func(col int, s string) gosnmp.SnmpPDU {
		return vOf(analogOID(col, 1, 25), gosnmp.OctetString, []byte(s))
	}
	tests := []struct {
		name   string
		pdus   []gosnmp.SnmpPDU
		module int
		want   error
	}{
		{"nothing at all", nil, 0, ErrNoSuchObject},
		{"only other MIBs", []gosnmp.SnmpPDU{vOf(".1.3.6.1.2.1.1.1.0", gosnmp.OctetString, []byte("x"))}, 0, ErrNoSuchObject},
		{"absent unit", cool(), 2, ErrNoSuchObject},
		{"index of one number", []gosnmp.SnmpPDU{vOf("."+coolingAnalogEntry+".2.25", gosnmp.OctetString, []byte("x"))}, 0, ErrDecode},
		{"index of three numbers", []gosnmp.SnmpPDU{vOf("."+coolingAnalogEntry+".2.1.25.1", gosnmp.OctetString, []byte("x"))}, 0, ErrDecode},
		{"description is an Integer", replaceCol(cool(), analogDescription, vInt(analogOID(2, 1, 25), 7)), 0, ErrDecode},
		{"row without description", replaceCol(cool(), analogDescription, gosnmp.SnmpPDU{}), 0, ErrDecode},
		{"value is a string", replaceCol(cool(), analogValue, str(3, "108")), 0, ErrDecode},
		{"value is TimeTicks", replaceCol(cool(), analogValue, vOf(analogOID(3, 1, 25), gosnmp.TimeTicks, uint32(108))), 0, ErrDecode},
		{"units is an Integer", replaceCol(cool(), analogUnits, vInt(analogOID(4, 1, 25), 1)), 0, ErrDecode},
		{"units missing", replaceCol(cool(), analogUnits, gosnmp.SnmpPDU{}), 0, ErrDecode},
		{"scale is a string", replaceCol(cool(), analogScale, str(5, "10")), 0, ErrDecode},
		{"scale zero", replaceCol(cool(), analogScale, vInt(analogOID(5, 1, 25), 0)), 0, ErrDecode},
		{"scale negative", replaceCol(cool(), analogScale, vInt(analogOID(5, 1, 25), -10)), 0, ErrDecode},
		{"scale missing", replaceCol(cool(), analogScale, gosnmp.SnmpPDU{}), 0, ErrDecode},
		{"bad row after good ones", rows(a1(9, "Supply Temperature", 194, "C", 10),
			replaceCol(a1(13, "Return Temperature", 280, "C", 10), analogScale, gosnmp.SnmpPDU{})), 0, ErrDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInRow(tt.pdus, tt.module)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err: got %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("readings: got %v, want none", got)
			}
		})
	}
}

// TestParseInRowRecording parses the coolingUnit lines of the recorded
// InRow DX, without an agent.
func TestParseInRowRecording(t *testing.T) {
	pdus := coolingUnitVarbinds(t, filepath.Join(peer.Recordings(t), inrowRecording))
	for _, module := range []int{0, 1} {
		got, err := parseInRow(pdus, module)
		if err != nil || !slices.Equal(got, inrowDX) {
			t.Errorf("module %d:\n got %v, %v\nwant %v, nil", module, got, err, inrowDX)
		}
	}
	if _, err := parseInRow(pdus, 2); !errors.Is(err, ErrNoSuchObject) {
		t.Errorf("module 2: got %v, want %v", err, ErrNoSuchObject) // .27.1.1.0|2|1: one unit
	}
}

// coolingUnitVarbinds loads the lines of a recording under the coolingUnit
// branch (whose tags loadVarbinds knows) as varbinds.
func coolingUnitVarbinds(t *testing.T, path string) []gosnmp.SnmpPDU {
	t.Helper()
	b := readRecording(t, path)
	var keep bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "1.3.6.1.4.1.318.1.1.27.") {
			keep.WriteString(sc.Text() + "\n")
		}
	}
	sub := filepath.Join(t.TempDir(), "coolingunit.snmprec")
	if err := os.WriteFile(sub, keep.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadVarbinds(t, sub)
}

// TestInRowRecording polls Debian's snmpsimd replaying the recorded InRow
// DX through the Collector and the apc-inrow profile.
func TestInRowRecording(t *testing.T) {
	agent := startSnmpsim(t, map[string]string{"inrowdx": inrowRecording, "ap8853": "apc_ap8853.snmprec"})
	tests := []recordingCase{
		{name: "InRow DX", community: "inrowdx", want: inrowDX},
		{name: "InRow DX unit 1", community: "inrowdx", module: 1, want: inrowDX},
		{name: "InRow DX unit 2", community: "inrowdx", module: 2, wantReason: ReasonNoSuchObject},
		{name: "a PDU is not a cooling unit", community: "ap8853", wantReason: ReasonNoSuchObject},
	}
	pollRecordings(t, agent.addr, inrowProfile, tests)
}

// TestInRowSimulator polls dcplane's simulated InRow, half loaded, through
// the Collector and the apc-inrow profile.
func TestInRowSimulator(t *testing.T) {
	unit, err := sim.NewInRow(sim.InRowConfig{Name: "c1", CapacityWatts: 60000, HeatLoad: func() float64 { return 30000 }})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveSim(t, map[string]*sim.Device{"public": unit.Device})
	target := Target{Address: addr, Credentials: Credentials{Community: NewSecret("public")}}
	poll := func(t *testing.T) c.Status {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return NewCollector(nil).Poll(ctx, target, inrowProfile)
	}

	st := poll(t)
	if !st.OK {
		t.Fatalf("status: got reason %q (%s), want OK", st.Reason, st.Err)
	}
	t.Logf("readings: %v", st.Readings)
	got := map[c.Metric]float64{}
	for _, r := range st.Readings {
		if r.Scope != c.ScopeDevice {
			t.Errorf("reading %v: got scope %s, want device (the model has no rack inlet sensors)", r, r.Scope)
		}
		got[r.Metric] = r.Value
	}
	// The MIB carries cooling output in tenths of a kW.
	if out, ok := got[c.CoolingOutputWatts]; !ok || math.Abs(out-30000) > 100 {
		t.Errorf("cooling output: got %v (present %v), want 30000 W ± 100", out, ok)
	}
	supply, okS := got[c.SupplyAirCelsius]
	ret, okR := got[c.ReturnAirCelsius]
	if !okS || !okR || supply >= ret {
		t.Errorf("air: got supply %v °C (present %v), return %v °C (present %v), want supply < return", supply, okS, ret, okR)
	}
	if fan, ok := got[c.FanSpeedPercent]; !ok || fan < 30 || fan > 100 {
		t.Errorf("fan speed: got %v (present %v), want 30-100 %%", fan, ok)
	}

	t.Run("garbage fails the poll", func(t *testing.T) {
		unit.SetGarbage(true)
		defer unit.SetGarbage(false)
		if st := poll(t); st.OK || st.Reason != ReasonDecode {
			t.Errorf("got OK=%v reason %q (%s), want reason %q", st.OK, st.Reason, st.Err, ReasonDecode)
		}
	})
}

// serveSim serves devices (community → device) with the simulator's agent
// on 127.0.0.1:0 until the test ends, and returns the address.
func serveSim(t *testing.T, devices map[string]*sim.Device) string {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.NewServer(sim.ServerOptions{}).Serve(ctx, conn, devices) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: got %v, want nil", err)
		}
		_ = conn.Close()
	})
	return conn.LocalAddr().String()
}

func TestInRowProfile(t *testing.T) {
	if got, want := (inrowProfile).Roots(), []string{"1.3.6.1.4.1.318.1.1.27.1.4.1.2.1"}; !slices.Equal(got, want) {
		t.Errorf("roots: got %v, want %v", got, want)
	}
	p, err := LookupProfile("apc-inrow")
	if err != nil || p.Name() != "apc-inrow" {
		t.Errorf("lookup: got %v, %v, want apc-inrow, nil", p, err)
	}
}
