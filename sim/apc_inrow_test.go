package sim

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

// inrowReading is one analog entry as a collector reads it.
type inrowReading struct {
	value float64
	units string
}

// readInRow walks the coolingUnit tables and returns the analog readings
// by entry, scaled, and the Mode state.
func readInRow(t *testing.T, c *gosnmp.GoSNMP) (map[int]inrowReading, int) {
	t.Helper()
	ints, strs := walkInts(t, c, coolingUnit)
	out := map[int]inrowReading{}
	for oid, scale := range ints {
		o := MustOID(oid)
		if !o.HasPrefix(coolingAnalog.Append(5)) {
			continue
		}
		e := int(o[len(o)-1])
		raw := ints[col(coolingAnalog, 3, 1)+"."+o[len(o)-1:].String()]
		out[e] = inrowReading{float64(raw) / float64(scale), strs[col(coolingAnalog, 4, 1)+"."+o[len(o)-1:].String()]}
	}
	return out, ints[col(coolingDiscrete, 4, 1)+".2"]
}

func TestInRowPhysics(t *testing.T) {
	const capacity = 20000.0
	prevReturn := -1.0
	for _, load := range []float64{0, 5000, 10000, 15000, 18000, 20000, 24000, 30000} {
		unit, err := NewInRow(InRowConfig{Name: "ir-1", CapacityWatts: capacity, HeatLoad: func() float64 { return load }})
		if err != nil {
			t.Fatalf("NewInRow: %v", err)
		}
		a := startAgent(t, map[string]*Device{"public": unit.Device})
		r, mode := readInRow(t, a.client(t, "public", gosnmp.Version2c))
		checkInRow(t, capacity, load, r, mode)
		if ret := r[inrowReturnC].value; load > 0 && ret <= prevReturn {
			t.Errorf("load %.0f W: return got %.1f °C, want above %.1f at the lower load", load, ret, prevReturn)
		}
		prevReturn = r[inrowReturnC].value
	}
}

// checkInRow checks one steady state read back over SNMP.
func checkInRow(t *testing.T, capacity, load float64, r map[int]inrowReading, mode int) {
	t.Helper()
	out, supply, ret := r[inrowCoolOutput].value, r[inrowSupplyC].value, r[inrowReturnC].value
	if want := math.Round(min(load, capacity)/100) / 10; out != want {
		t.Errorf("load %.0f W: cool output got %.1f kW, want %.1f", load, out, want)
	}
	if want := math.Round(load/100) / 10; r[inrowCoolDemand].value != want {
		t.Errorf("load %.0f W: cool demand got %.1f kW, want %.1f", load, r[inrowCoolDemand].value, want)
	}
	if load <= capacity && supply != 20 {
		t.Errorf("load %.0f W: supply got %.1f °C, want the 20 °C setpoint", load, supply)
	}
	if load > capacity && supply <= 20 {
		t.Errorf("load %.0f W (overload): supply got %.1f °C, want above setpoint", load, supply)
	}
	if f := r[inrowSupplyF].value; math.Abs(f-(supply*9/5+32)) > 0.1 {
		t.Errorf("load %.0f W: supply got %.1f °F, want %.1f", load, f, supply*9/5+32)
	}
	// The air must carry the heat removed: P = ρ·cp·V·ΔT, to the tenths.
	if q := airDensity * airHeatJPerKgK * r[inrowAirLps].value / 1000 * (ret - supply); math.Abs(q-out*1000) > 0.03*capacity {
		t.Errorf("load %.0f W: airflow × ΔT carries %.0f W, want %.0f", load, q, out*1000)
	}
	if fan := r[inrowFanSpeed]; fan.units != "%" || fan.value < 30 || fan.value > 100 {
		t.Errorf("load %.0f W: fan speed got %v, want 30–100 %%", load, fan)
	}
	wantMode := inrowModeActive
	if load == 0 {
		wantMode = inrowModeIdle
	}
	if mode != wantMode {
		t.Errorf("load %.0f W: mode got %d, want %d", load, mode, wantMode)
	}
}

// TestInRowOverlaysRecording lays the model over the recorded InRow DX:
// the recording's entry numbers, descriptions and units must match the
// model's, and the overlaid walk keeps the recorded-only objects.
func TestInRowOverlaysRecording(t *testing.T) {
	recs, err := LoadSnmprec(filepath.Join(peer.Recordings(t), "apc_inrow-dx.snmprec"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	unit, err := NewInRow(InRowConfig{Name: "ir-2", CapacityWatts: 20000, HeatLoad: func() float64 { return 10800 }})
	if err != nil {
		t.Fatalf("NewInRow: %v", err)
	}
	recorded := NewRecordedView(recs)
	unit.View().Walk(func(oid OID, v Value) bool {
		if !oid.HasPrefix(coolingAnalog.Append(2)) && !oid.HasPrefix(coolingAnalog.Append(4)) {
			return true
		}
		if rec, ok := recorded.Get(oid); ok && rec.String() != v.String() {
			t.Errorf("%s: model has %q, recording %q", oid, v, rec)
		}
		return true
	})
	merged := NewRecordedView(recs)
	merged.Overlay(unit.View())
	a := startAgent(t, map[string]*Device{"public": NewDevice(merged)})
	c := a.client(t, "public", gosnmp.Version2c)
	res, err := c.Get([]string{col(coolingAnalog, 3, 1) + ".25", "1.3.6.1.2.1.2.2.1.2.2", "1.3.6.1.2.1.1.5.0"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got := pduString(res.Variables[0]); got != "108" {
		t.Errorf("live Cool Output over the recording: got %s, want 108", got)
	}
	if got := pduString(res.Variables[1]); got != "vmac0" {
		t.Errorf("recorded ifDescr.2: got %s, want vmac0", got)
	}
	if got := pduString(res.Variables[2]); !strings.Contains(got, "ir-2") {
		t.Errorf("sysName: got %s, want the model's", got)
	}
}

func TestInRowConfigErrors(t *testing.T) {
	heat := func() float64 { return 1 }
	for name, cfg := range map[string]InRowConfig{
		"no name":     {CapacityWatts: 1, HeatLoad: heat},
		"no capacity": {Name: "x", HeatLoad: heat},
		"no load":     {Name: "x", CapacityWatts: 1},
		"nine fans":   {Name: "x", CapacityWatts: 1, HeatLoad: heat, Fans: 9},
	} {
		if _, err := NewInRow(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: got %v, want ErrBadConfig", name, err)
		}
	}
}
