package sim_test

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

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
