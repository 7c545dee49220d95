package sim

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/peer"
)

// walkInts walks root on the agent and returns the integer objects by OID
// (without the leading dot) and the strings.
func walkInts(t *testing.T, c *gosnmp.GoSNMP, root OID) (map[string]int, map[string]string) {
	t.Helper()
	vbs, err := c.BulkWalkAll(root.String())
	if err != nil {
		t.Fatalf("BulkWalkAll(%s): %v", root, err)
	}
	ints, strs := map[string]int{}, map[string]string{}
	for _, vb := range vbs {
		name := strings.TrimPrefix(vb.Name, ".")
		if vb.Type == gosnmp.OctetString {
			strs[name] = string(vb.Value.([]byte))
			continue
		}
		ints[name] = int(gosnmp.ToBigInt(vb.Value).Int64())
	}
	return ints, strs
}

func col(entry OID, column, row int) string {
	return entry.Append(uint32(column), uint32(row)).String()
}

func TestRackPDUConsistency(t *testing.T) {
	tests := []struct {
		name  string
		cfg   RackPDUConfig
		watts float64
	}{
		{"1ph 24 outlets probe", RackPDUConfig{Outlets: 24, Probe: &Probe{Name: "inlet"}}, 3456.7},
		{"1ph 2 banks", RackPDUConfig{Banks: 2, PowerFactor: 0.96, Voltage: 242}, 1140},
		{"3ph 6 banks 24 outlets", RackPDUConfig{Phases: 3, Banks: 6, Outlets: 24}, 7345.6},
		{"3ph 12 banks 42 outlets", RackPDUConfig{Phases: 3, Banks: 12, Outlets: 42, BreakerAmps: 16}, 11999},
		{"3ph bare", RackPDUConfig{Phases: 3}, 14999.4},
		{"3ph overloaded", RackPDUConfig{Phases: 3, Outlets: 24}, 26000},
		{"idle", RackPDUConfig{Phases: 3, Banks: 3, Outlets: 6}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Name = fmt.Sprintf("pdu-%d-a", i)
			cfg.Load = func() float64 { return tt.watts }
			pdu, err := NewRackPDU(cfg)
			if err != nil {
				t.Fatalf("NewRackPDU: %v", err)
			}
			a := startAgent(t, map[string]*Device{"public": pdu.Device})
			ints, strs := walkInts(t, a.client(t, "public", gosnmp.Version2c), rpdu2)
			checkPDU(t, pdu.Config(), tt.watts, ints, strs)
		})
	}
}

// pduReadings are the integer and string objects of a PDU read over SNMP.
type pduReadings struct {
	ints map[string]int
	strs map[string]string
}

func (r pduReadings) at(entry OID, column, row int) int { return r.ints[col(entry, column, row)] }

// checkPDU checks the consistency rules on values read back over SNMP.
func checkPDU(t *testing.T, c RackPDUConfig, watts float64, ints map[string]int, strs map[string]string) {
	t.Helper()
	r := pduReadings{ints, strs}
	power, apparent, pf := r.at(rpdu2DevStatus, 5, 1), r.at(rpdu2DevStatus, 16, 1), r.at(rpdu2DevStatus, 17, 1)
	if want := int(math.Round(watts / 10)); power != want {
		t.Errorf("device power: got %d hkW, want %d", power, want)
	}
	if want := int(math.Round(c.PowerFactor * 100)); pf != want {
		t.Errorf("power factor: got %d, want %d", pf, want)
	}
	if want := float64(power) / (float64(pf) / 100); math.Abs(float64(apparent)-want) > 1 {
		t.Errorf("apparent power: got %d hkVA, want %.1f ± 1 (power / PF)", apparent, want)
	}
	sumP, sumS := 0, 0
	for ph := 1; ph <= c.Phases; ph++ {
		checkPDUPhase(t, c, r, ph)
		sumP, sumS = sumP+r.at(rpdu2PhaseStatus, 7, ph), sumS+r.at(rpdu2PhaseStatus, 8, ph)
	}
	if sumP != power || sumS != apparent {
		t.Errorf("phases sum to %d hkW / %d hkVA, want %d / %d", sumP, sumS, power, apparent)
	}
	sumOutlets := 0
	for o := 1; o <= c.Outlets; o++ {
		sumOutlets += r.at(rpdu2OutletMeter, 7, o)
	}
	if c.Outlets > 0 && math.Abs(float64(sumOutlets)-watts) > 0.5 {
		t.Errorf("outlets sum to %d W, want %.1f", sumOutlets, watts)
	}
	checkPDUIdent(t, c, r)
}

// checkPDUPhase checks one phase: I·V·PF against its power, apparent
// power against power / PF, its banks against its current, its load state.
func checkPDUPhase(t *testing.T, c RackPDUConfig, r pduReadings, ph int) {
	t.Helper()
	p, s, cur := r.at(rpdu2PhaseStatus, 7, ph), r.at(rpdu2PhaseStatus, 8, ph), r.at(rpdu2PhaseStatus, 5, ph)
	volts, pf := float64(r.at(rpdu2PhaseStatus, 6, ph)), float64(r.at(rpdu2PhaseStatus, 9, ph))/100
	// To within the resolution of the current (0.1 A) and the power (10 W).
	if got, tol := float64(cur)/10*volts*pf, 0.05*volts+10; math.Abs(got-float64(p)*10) > tol {
		t.Errorf("phase %d: I·V·PF = %.0f W, want %d W ± %.0f", ph, got, p*10, tol)
	}
	if want := float64(p) / pf; math.Abs(float64(s)-want) > 1.5 {
		t.Errorf("phase %d apparent: got %d, want %.1f (power / PF)", ph, s, want)
	}
	bankSum, banks := 0, 0
	for b := 1; b <= c.Banks; b++ {
		if (b-1)*c.Phases/c.Banks == ph-1 {
			bankSum, banks = bankSum+r.at(rpdu2BankStatus, 5, b), banks+1
		}
	}
	if banks > 0 && bankSum != cur {
		t.Errorf("phase %d: banks sum to %d dA, want the phase current %d", ph, bankSum, cur)
	}
	wantState := 2
	if cur >= c.BreakerAmps*10 {
		wantState = 4
	} else if cur >= int(math.Round(0.8*float64(c.BreakerAmps)))*10 {
		wantState = 3
	}
	if got := r.at(rpdu2PhaseStatus, 4, ph); got != wantState {
		t.Errorf("phase %d load state: got %d, want %d at %d dA", ph, got, wantState, cur)
	}
}

func checkPDUIdent(t *testing.T, c RackPDUConfig, r pduReadings) {
	t.Helper()
	if got, want := r.at(rpdu2DevProps, 7, 1), c.Phases; got != want {
		t.Errorf("rPDU2DevicePropertiesNumPhases: got %d, want %d", got, want)
	}
	if got := r.strs[col(rpdu2Ident, 3, 1)]; got != c.Name {
		t.Errorf("rPDU2IdentName: got %q, want %q", got, c.Name)
	}
	wantTemp := -1
	if c.Probe != nil {
		wantTemp = 240
	}
	if got := r.at(rpdu2SensorStatus, 8, 1); got != wantTemp {
		t.Errorf("probe temperature: got %d, want %d", got, wantTemp)
	}
}

func TestRackPDUEnergyIntegrates(t *testing.T) {
	clock := newFakeClock()
	rack := NewRack(LoadModel{}, clock.Now) // pinned below: safe to change under the agent
	pdu, err := NewRackPDU(RackPDUConfig{
		Name: "pdu-e", Phases: 3, Outlets: 12, EnergyKWh: 1000, Now: clock.Now, Load: rack.Load,
	})
	if err != nil {
		t.Fatalf("NewRackPDU: %v", err)
	}
	a := startAgent(t, map[string]*Device{"public": pdu.Device})
	c := a.client(t, "public", gosnmp.Version2c)
	energy := MustOID(col(rpdu2DevStatus, 9, 1))
	read := func() int {
		res, err := c.Get([]string{energy.String()})
		if err != nil {
			t.Fatalf("Get energy: %v", err)
		}
		return res.Variables[0].Value.(int)
	}
	steps := []struct {
		load    float64 // set before the read
		advance time.Duration
		want    int // tenths of kWh after the step
	}{
		{6000, 0, 10000},
		{3000, 30 * time.Minute, 10030}, // 6 kW was held for 30 min
		{0, 2 * time.Hour, 10090},       // 3 kW for 2 h
		{12000, time.Hour, 10090},       // nothing drawn for 1 h
		{12000, 15 * time.Minute, 10120},
		{12000, 500 * time.Millisecond, 10120}, // within Refresh: the old sample
	}
	prev := 0
	for i, st := range steps {
		rack.Set(st.load) // sampled at this read; metered until the next one
		clock.Advance(st.advance)
		got := read()
		if got != st.want {
			t.Errorf("step %d: energy got %d tenths kWh, want %d", i, got, st.want)
		}
		if got < prev {
			t.Errorf("step %d: energy went back from %d to %d", i, prev, got)
		}
		prev = got
	}
}

func TestRackPDUConfigErrors(t *testing.T) {
	load := func() float64 { return 1 }
	tests := []struct {
		name string
		cfg  RackPDUConfig
	}{
		{"no name", RackPDUConfig{Load: load}},
		{"no load", RackPDUConfig{Name: "x"}},
		{"two phases", RackPDUConfig{Name: "x", Load: load, Phases: 2}},
		{"banks not per phase", RackPDUConfig{Name: "x", Load: load, Phases: 3, Banks: 4}},
		{"bad power factor", RackPDUConfig{Name: "x", Load: load, PowerFactor: 1.2}},
		{"bad sysObjectID", RackPDUConfig{Name: "x", Load: load, SysObjectID: "apc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRackPDU(tt.cfg); !errors.Is(err, ErrBadConfig) {
				t.Errorf("NewRackPDU: got %v, want ErrBadConfig", err)
			}
		})
	}
}

// TestRackPDUMatchesRecording checks that the model uses the OIDs, types
// and scales of a real AP8853 for the objects the recording holds.
func TestRackPDUMatchesRecording(t *testing.T) {
	recs, err := LoadSnmprec(filepath.Join(peer.Recordings(t), "apc_ap8853.snmprec"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	// The recording: 1.14 kW at PF 0.96 on one 242 V phase drawing 4.9 A.
	pdu, err := NewRackPDU(RackPDUConfig{Name: "ap8853", Voltage: 242, PowerFactor: 0.96, Load: func() float64 { return 1140 }})
	if err != nil {
		t.Fatalf("NewRackPDU: %v", err)
	}
	view := pdu.View()
	for _, r := range recs {
		if !r.OID.HasPrefix(rpdu2) {
			continue
		}
		got, ok := view.Get(r.OID)
		if !ok {
			t.Errorf("%s: missing from the model", r.OID)
			continue
		}
		if got.Type != r.Value.Type {
			t.Errorf("%s: got type %v, want %v", r.OID, got.Type, r.Value.Type)
		}
	}
	for _, c := range []struct{ column, want int }{{5, 49}, {6, 242}, {7, 114}, {8, 119}, {9, 96}} {
		oid := MustOID(col(rpdu2PhaseStatus, c.column, 1))
		if got, _ := view.Get(oid); got.Data != c.want {
			t.Errorf("rPDU2PhaseStatus column %d: got %v, want %d as recorded", c.column, got, c.want)
		}
	}
}
