package sim_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/sim"
)

// TestRecordingPlanDescribesDevice: a plan says what the recorded PDU is,
// as an inventory describing it must: its phases in use, its voltage and
// its input's rating, each from the walk's own objects (cited), not a
// branch breaker's rating.
func TestRecordingPlanDescribesDevice(t *testing.T) {
	tests := []struct {
		file   string
		phases int
		volts  float64 // recorded line-to-neutral
		rated  float64 // A; 0: the walk reports no input rating
		// breaker: the walk reports a branch breaker's rating, which must
		// not be taken for the input's.
		breaker bool
	}{
		// st4InputCordCurrentCapacity 200 (0.1 A); three phases loaded.
		{file: "sentry4.snmprec", phases: 3, volts: 207.9, rated: 20},
		// lgpPduPsEntryEcInputRated 300 (0.1 A), a 120 V unit; its branch
		// breakers' lgpPduRbEntryEcRated 200 are not the input's rating.
		{file: "liebert.snmprec", phases: 1, volts: 119.6, rated: 30, breaker: true},
		// inputCurrentCapacity 16000 (mA), a 120 V unit.
		{file: "eatonpdu_2.snmprec", phases: 1, volts: 118.45, rated: 16},
		// Three phases listed, two at 0 V; no input rating.
		{file: "hpe-mapdu_pdu3.snmprec", phases: 1, volts: 229.8},
		// apc-rpdu2 reads no rating.
		{file: "apc_ap8853.snmprec", phases: 1, volts: 242},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			plan, _ := planFor(t, tt.file)
			if got := plan.Phases(); got != tt.phases {
				t.Errorf("phases: got %d, want %d", got, tt.phases)
			}
			if got := plan.Volts(); math.Abs(got-tt.volts) > 1e-9 {
				t.Errorf("volts: got %v, want %v", got, tt.volts)
			}
			got, ok := plan.RatedAmps()
			if ok != (tt.rated > 0) || math.Abs(got-tt.rated) > 1e-9 {
				t.Errorf("rated: got %v A (%v), want %v A", got, ok, tt.rated)
			}
			if has := hasBreakerRating(t, tt.file); has != tt.breaker {
				t.Errorf("the walk rates a branch breaker: got %v, want %v", has, tt.breaker)
			}
		})
	}
}

// hasBreakerRating says whether file's readings, as its profile parses
// them, rate a branch breaker.
func hasBreakerRating(t *testing.T, file string) bool {
	t.Helper()
	recs, err := sim.LoadSnmprec(filepath.Join(peer.Recordings(t), file))
	if err != nil {
		t.Fatal(err)
	}
	det, err := snmp.MatchWalk(snmp.Defs(), sim.Varbinds(recs))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := det.Profile.Parse(sim.Varbinds(recs), 0)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(rs, func(r collectors.Reading) bool {
		return r.Metric == collectors.RatedCurrentAmperes && r.Scope == collectors.ScopeBreaker && r.Value > 0
	})
}

// tableReader reads a made-up MIB under 1.3.6.1.4.1.99999: .1.0 the
// device's power (W), .2.N phase N's current (A), .3.N phase N's rated
// current, .4.0 the device's, .5.N branch breaker N's.
type tableReader struct{}

func (tableReader) Roots() []string { return []string{"1.3.6.1.4.1.99999"} }

func (tableReader) Parse(pdus []gosnmp.SnmpPDU, _ int) ([]collectors.Reading, error) {
	var out []collectors.Reading
	for _, p := range pdus {
		var col, idx int
		if _, err := fmt.Sscanf(strings.TrimPrefix(p.Name, "."), "1.3.6.1.4.1.99999.%d.%d", &col, &idx); err != nil {
			return nil, err
		}
		v := float64(gosnmp.ToBigInt(p.Value).Int64())
		r := map[int]collectors.Reading{
			1: {Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice},
			2: {Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: idx},
			3: {Metric: collectors.RatedCurrentAmperes, Scope: collectors.ScopePhase, Index: idx},
			4: {Metric: collectors.RatedCurrentAmperes, Scope: collectors.ScopeDevice},
			5: {Metric: collectors.RatedCurrentAmperes, Scope: collectors.ScopeBreaker, Index: idx},
		}[col]
		r.Value = v
		out = append(out, r)
	}
	return out, nil
}

// TestRatedAmpsIsTheInputs: RatedAmps is the lowest rating of the input
// (the device or a phase in use), not a branch breaker's, not an unused
// phase's, and not a value no PDU input is rated at.
func TestRatedAmpsIsTheInputs(t *testing.T) {
	tests := []struct {
		name    string
		objects map[string]int
		phases  int
		want    float64 // 0: none
	}{
		{"lowest phase in use", map[string]int{"1.0": 3000, "2.1": 6, "2.2": 6, "2.3": 0, "3.1": 32, "3.2": 16, "3.3": 10, "5.1": 8}, 2, 16},
		{"device", map[string]int{"1.0": 3000, "2.1": 6, "4.0": 20, "5.1": 10}, 1, 20},
		{"out of bounds", map[string]int{"1.0": 3000, "2.1": 6, "4.0": 5000, "3.1": 0}, 1, 0},
		{"breakers only", map[string]int{"1.0": 3000, "2.1": 6, "5.1": 16, "5.2": 16}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []sim.Record
			for o, v := range tt.objects {
				oid, err := sim.ParseOID("1.3.6.1.4.1.99999." + o)
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, sim.Record{OID: oid, Value: sim.Integer(v)})
			}
			slices.SortFunc(recs, func(a, b sim.Record) int { return a.OID.Compare(b.OID) })
			plan, err := sim.PlanRecording(tt.name, recs, tableReader{})
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Phases(); got != tt.phases {
				t.Errorf("phases: got %d, want %d", got, tt.phases)
			}
			if got, ok := plan.RatedAmps(); got != tt.want || ok != (tt.want > 0) {
				t.Errorf("rated: got %v A (%v), want %v A", got, ok, tt.want)
			}
		})
	}
}
