package whatif

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
)

// TestWindowReadings runs a feed-off on the real telemetry window: phases,
// totals and currents as the collectors report them, and a PDU that goes
// stale.
func TestWindowReadings(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	win := telemetry.New(10, time.Minute)
	phase := func(m collectors.Metric, i int, v float64) collectors.Reading {
		return collectors.Reading{Metric: m, Scope: collectors.ScopePhase, Index: i, Value: v}
	}
	win.Ingest([]collectors.Status{
		{Device: "K01-PA", At: t0, OK: true, Readings: []collectors.Reading{
			{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 6000},
			phase(collectors.PowerWatts, 1, 1000), phase(collectors.PowerWatts, 2, 2000), phase(collectors.PowerWatts, 3, 3000),
		}},
		{Device: "K01-PB", At: t0, OK: true, Readings: []collectors.Reading{
			// Current only, and no total: W = A × 230 V.
			phase(collectors.CurrentAmperes, 1, 10), phase(collectors.CurrentAmperes, 2, 10), phase(collectors.CurrentAmperes, 3, 10),
		}},
		{Device: "K02-PA", At: t0, OK: true, Readings: []collectors.Reading{
			// A total and only two of three phases: split the total.
			{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 3000},
			phase(collectors.PowerWatts, 1, 1000), phase(collectors.PowerWatts, 2, 2000),
		}},
		{Device: "K02-PB", At: t0, OK: true, Readings: []collectors.Reading{
			{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 300},
		}},
	}, t0)
	site := oneRow(abRack("K01"), abRack("K02"))
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"fresh", t0.Add(time.Minute), []string{
			"pdu-phase K01-PB L3 measured ok 5300/5888 (588)",
			"pdu-phase K01-PB L2 measured ok 4300/5888 (1588)",
			"pdu-phase K01-PB L1 measured ok 3300/5888 (2588)",
			"pdu-phase K02-PB L1 measured ok 1100/5888 (4788)",
			"pdu-phase K02-PB L2 measured ok 1100/5888 (4788)",
			"pdu-phase K02-PB L3 measured ok 1100/5888 (4788)",
		}},
		{"stale", t0.Add(2 * time.Minute), []string{
			"pdu-phase K01-PB L1 measured unknown -/5888 (-)",
			"pdu-phase K01-PB L2 measured unknown -/5888 (-)",
			"pdu-phase K01-PB L3 measured unknown -/5888 (-)",
			"pdu-phase K02-PB L1 measured unknown -/5888 (-)",
			"pdu-phase K02-PB L2 measured unknown -/5888 (-)",
			"pdu-phase K02-PB L3 measured unknown -/5888 (-)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: site, Readings: WindowReadings{Window: win, At: tt.at}}.FeedOff("A", "")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := briefs(rep); !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestWindowReadingsDirect(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	win := telemetry.New(10, time.Minute)
	win.Ingest([]collectors.Status{{Device: "P", At: t0, OK: true, Readings: []collectors.Reading{
		{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 500},
		{Metric: collectors.PowerWatts, Scope: collectors.ScopePhase, Index: 1, Value: 500},
	}}}, t0)
	rd := WindowReadings{Window: win, At: t0}
	if v, ok := rd.PDUWatts("P"); !ok || v != 500 {
		t.Errorf("PDUWatts: got %v, %v, want 500, true", v, ok)
	}
	if v, ok := rd.PhaseWatts("P", 1); !ok || !slices.Equal(v, []float64{500}) {
		t.Errorf("PhaseWatts(1): got %v, %v, want [500], true", v, ok)
	}
	if v, ok := rd.PhaseWatts("P", 3); ok {
		t.Errorf("PhaseWatts(3): got %v, true, want false: phases 2 and 3 are missing", v)
	}
	if v, ok := rd.PhaseAmps("P", 1); ok {
		t.Errorf("PhaseAmps: got %v, true, want false", v)
	}
	if v, ok := rd.PDUWatts("Q"); ok {
		t.Errorf("PDUWatts of a device never seen: got %v, true, want false", v)
	}
	if !rd.Fresh("P") || rd.Fresh("Q") {
		t.Errorf("Fresh: got P %v, Q %v, want true, false (Q never seen)", rd.Fresh("P"), rd.Fresh("Q"))
	}
	win.Ingest([]collectors.Status{{Device: "P", At: t0.Add(time.Second), OK: false, Reason: "timeout"}}, t0.Add(time.Second))
	if v, ok := (WindowReadings{Window: win, At: t0.Add(time.Second)}).PDUWatts("P"); ok {
		t.Errorf("PDUWatts after a failed poll: got %v, true, want false", v)
	}
	if (WindowReadings{Window: win, At: t0.Add(time.Second)}).Fresh("P") {
		t.Errorf("Fresh after a failed poll: got true, want false")
	}
}

// staleLatest is a telemetry that answers Latest whether or not the device
// is fresh: WindowReadings must not trust Latest alone.
type staleLatest struct{}

func (staleLatest) Latest(_ telemetry.Key, now time.Time) (telemetry.Sample, bool) {
	return telemetry.Sample{At: now, Value: 1}, true
}

func (staleLatest) Fresh(string, time.Time) telemetry.Freshness {
	return telemetry.Freshness{Reason: "too-old"}
}

func TestWindowReadingsStale(t *testing.T) {
	rd := WindowReadings{Window: staleLatest{}, At: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	if v, ok := rd.PDUWatts("P"); ok {
		t.Errorf("PDUWatts: got %v, true, want false", v)
	}
	if v, ok := rd.PhaseWatts("P", 3); ok {
		t.Errorf("PhaseWatts: got %v, true, want false", v)
	}
}

// TestReportJSON checks the names the API returns and that unknown is
// null, not 0.
func TestReportJSON(t *testing.T) {
	rep, err := Input{Site: oneRow(abRack("K01")), Readings: phases(map[string][]float64{"K01-PB": {1, 1, 1}})}.FeedOff("A", "")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	b, err := json.Marshal(rep.Findings[0])
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := `{"kind":"pdu-phase","status":"unknown","exceeded":false,"basis":"measured","hall":"H1","row":"H1-R01","rack":"K01","pdu":"K01-PB","phase":1,` +
		`"load_watts":null,"limit_watts":5888,"margin_watts":null,"detail":"K01 K01-PB phase L1: load unknown if feed A fails: no fresh reading of K01-PA (not counted as 0)"}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	b, err = json.Marshal(rep)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	for _, key := range []string{`"scenario":{"kind":"feed-off","feed":"A","summary":"feed A switched off","bases":["measured"]}`, `"counts":{"dark":0,"exceeded":0,"unknown":3,"no_redundancy":0,"ok":0}`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("got %s, want it to hold %s", b, key)
		}
	}
}
