package telemetry

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/inventory"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func power(w float64) []collectors.Reading {
	return []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: w}}
}

var pduPower = Key{"P1", collectors.PowerWatts, collectors.ScopeDevice, 0}

func TestLatestAndStaleness(t *testing.T) {
	tests := []struct {
		name   string
		polls  []collectors.Status
		now    time.Time
		want   float64
		wantOK bool
		reason string
	}{
		{"fresh", []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(5000)}}, t0.Add(time.Second), 5000, true, ""},
		{"never seen", nil, t0, 0, false, "never-seen"},
		{"fresh at staleAfter", []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(5000)}}, t0.Add(30 * time.Second), 5000, true, ""},
		{"too old", []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(5000)}}, t0.Add(31 * time.Second), 0, false, "too-old"},
		{"zero is a measurement", []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(0)}}, t0.Add(time.Second), 0, true, ""},
		{"failed poll hides the old value", []collectors.Status{
			{Device: "P1", At: t0, OK: true, Readings: power(5000)},
			{Device: "P1", At: t0.Add(time.Second), Reason: "timeout"},
		}, t0.Add(2 * time.Second), 0, false, "poll-failed: timeout"},
		{"recovers", []collectors.Status{
			{Device: "P1", At: t0, Reason: "timeout"},
			{Device: "P1", At: t0.Add(time.Second), OK: true, Readings: power(4200)},
		}, t0.Add(2 * time.Second), 4200, true, ""},
		{"late batch does not roll back", []collectors.Status{
			{Device: "P1", At: t0.Add(time.Second), OK: true, Readings: power(4200)},
			{Device: "P1", At: t0, Reason: "timeout"},
		}, t0.Add(2 * time.Second), 4200, true, ""},
		{"reading dropped from a newer poll is unknown", []collectors.Status{
			{Device: "P1", At: t0, OK: true, Readings: power(5000)},
			{Device: "P1", At: t0.Add(time.Second), OK: true},
		}, t0.Add(2 * time.Second), 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(4, 30*time.Second)
			// Received as stamped, one at a time.
			for _, p := range tt.polls {
				w.Ingest([]collectors.Status{p}, p.At)
			}
			s, ok := w.Latest(pduPower, tt.now)
			if ok != tt.wantOK || s.Value != tt.want {
				t.Errorf("got %v (known %v), want %v (known %v)", s.Value, ok, tt.want, tt.wantOK)
			}
			if got := w.Fresh("P1", tt.now).Reason; got != tt.reason {
				t.Errorf("got reason %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestRingBounded(t *testing.T) {
	w := New(3, time.Minute)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second)
		w.Ingest([]collectors.Status{{Device: "P1", At: at, OK: true, Readings: power(float64(i))}}, at)
	}
	got := w.Range(pduPower, time.Time{})
	if len(got) != 3 || got[0].Value != 2 || got[2].Value != 4 {
		t.Errorf("got %v, want the last three samples 2, 3, 4", got)
	}
	if got := w.Range(pduPower, t0.Add(4*time.Second)); len(got) != 1 {
		t.Errorf("got %d samples since the last, want 1", len(got))
	}
}

// TestIngestDistrustsClocksAndValues feeds what a broken or hostile agent
// could send.
func TestIngestDistrustsClocksAndValues(t *testing.T) {
	t.Run("a poll from the future is refused", func(t *testing.T) {
		w := New(4, 30*time.Second)
		if n := w.Ingest([]collectors.Status{{Device: "P1", At: t0.Add(10 * time.Minute), OK: true, Readings: power(1000)}}, t0); n != 0 {
			t.Errorf("got %d accepted, want 0", n)
		}
		w.Ingest([]collectors.Status{{Device: "P1", At: t0, Reason: "timeout"}}, t0)
		if f := w.Fresh("P1", t0.Add(time.Second)); f.Fresh || f.Reason != "poll-failed: timeout" {
			t.Errorf("got %+v, want the failure seen, not hidden by the future poll", f)
		}
	})
	t.Run("an agent clock far behind does not make readings stale", func(t *testing.T) {
		w := New(4, 30*time.Second)
		w.Ingest([]collectors.Status{{Device: "P1", At: t0.Add(-time.Hour), OK: true, Readings: power(1000)}}, t0)
		if s, ok := w.Latest(pduPower, t0.Add(time.Second)); !ok || s.Value != 1000 {
			t.Errorf("got %v (known %v), want 1000 known: freshness is by receive time", s.Value, ok)
		}
		if f := w.Fresh("P1", t0.Add(31*time.Second)); f.Fresh {
			t.Error("got fresh 31 s after the last poll arrived, want stale")
		}
	})
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -5} {
		t.Run(fmt.Sprintf("power %v is unknown", v), func(t *testing.T) {
			w := New(4, 30*time.Second)
			w.Ingest([]collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(v)}}, t0)
			if s, ok := w.Latest(pduPower, t0); ok {
				t.Errorf("got %v known, want the reading unknown", s.Value)
			}
		})
	}
	t.Run("a negative temperature is a measurement", func(t *testing.T) {
		w := New(4, 30*time.Second)
		k := Key{"P1", collectors.TemperatureCelsius, collectors.ScopeSensor, 1}
		w.Ingest([]collectors.Status{{Device: "P1", At: t0, OK: true, Readings: []collectors.Reading{{Metric: k.Metric, Scope: k.Scope, Index: 1, Value: -4}}}}, t0)
		if s, ok := w.Latest(k, t0); !ok || s.Value != -4 {
			t.Errorf("got %v (known %v), want -4", s.Value, ok)
		}
	})
	t.Run("retain and reset forget", func(t *testing.T) {
		w := New(4, 30*time.Second)
		w.Ingest([]collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(1)}, {Device: "P2", At: t0, OK: true, Readings: power(2)}}, t0)
		w.Retain(func(id string) bool { return id == "P2" })
		if d, s := w.Stats(); d != 1 || s != 1 {
			t.Errorf("got %d devices %d series after Retain, want 1 and 1", d, s)
		}
		w.Reset()
		if d, s := w.Stats(); d != 0 || s != 0 {
			t.Errorf("got %d devices %d series after Reset, want none", d, s)
		}
	})
}

// TestIngestCountsAndLastSeen checks what Ingest accepts and what Fresh
// reports of a device's polls.
func TestIngestCountsAndLastSeen(t *testing.T) {
	t.Run("a batch delivered twice is taken once", func(t *testing.T) {
		w := New(4, 30*time.Second)
		batch := []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(1)}, {Device: "P2", At: t0, Reason: "timeout"}}
		if n := w.Ingest(batch, t0); n != 2 {
			t.Errorf("got %d accepted, want 2", n)
		}
		if n := w.Ingest(batch, t0.Add(time.Second)); n != 0 {
			t.Errorf("got %d accepted the second time, want 0", n)
		}
		if got := w.Range(pduPower, time.Time{}); len(got) != 1 {
			t.Errorf("got %d samples, want 1", len(got))
		}
	})
	t.Run("a failed poll does not move last seen", func(t *testing.T) {
		w := New(4, 30*time.Second)
		w.Ingest([]collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(1)}}, t0)
		w.Ingest([]collectors.Status{{Device: "P1", At: t0.Add(time.Second), Reason: "timeout", Readings: power(2)}}, t0.Add(time.Second))
		f := w.Fresh("P1", t0.Add(2*time.Second))
		if !f.LastOK.Equal(t0) || !f.LastPoll.Equal(t0.Add(time.Second)) {
			t.Errorf("got last OK %v and last poll %v, want %v and %v", f.LastOK, f.LastPoll, t0, t0.Add(time.Second))
		}
		if got := w.Range(pduPower, time.Time{}); len(got) != 1 || got[0].Value != 1 {
			t.Errorf("got %v, want only the good poll's sample", got)
		}
	})
}

// TestPollFromTheFutureIsRefusedWithAReason: a poll stamped ahead of the
// controller's clock by more than MaxClockSkew is refused and counted, not
// kept to shadow the real agent's polls.
func TestPollFromTheFutureIsRefusedWithAReason(t *testing.T) {
	w := New(4, 30*time.Second)
	res := w.Take([]collectors.Status{
		{Device: "P1", At: t0.Add(MaxClockSkew), OK: true, Readings: power(1)},
		{Device: "P2", At: t0.Add(MaxClockSkew + time.Second), OK: true, Readings: power(2)},
		{Device: "P3", At: t0.Add(30 * time.Second), OK: true, Readings: power(3)},
	}, t0)
	if res.Accepted != 1 || res.RefusedPolls[ReasonFuture] != 2 {
		t.Errorf("got %+v, want 1 accepted and 2 refused as future", res)
	}
	if got := w.Dropped()[ReasonFuture]; got != 2 {
		t.Errorf("got %d future polls counted, want 2", got)
	}
	// The real agent's poll, stamped now, is seen.
	w.Ingest([]collectors.Status{{Device: "P3", At: t0, OK: true, Readings: power(30)}}, t0)
	if s, ok := w.Latest(Key{"P3", collectors.PowerWatts, collectors.ScopeDevice, 0}, t0); !ok || s.Value != 30 {
		t.Errorf("got %v (known %v), want 30", s.Value, ok)
	}
}

// TestPushBeyondMaxPollsIsCut: a push of more than MaxPollsPerPush polls
// has the rest refused and counted.
func TestPushBeyondMaxPollsIsCut(t *testing.T) {
	w := New(4, 30*time.Second)
	polls := make([]collectors.Status, MaxPollsPerPush+1)
	for i := range polls {
		polls[i] = collectors.Status{Device: fmt.Sprint("P", i), At: t0, OK: true}
	}
	if res := w.Take(polls[:MaxPollsPerPush], t0); res.Accepted != MaxPollsPerPush || res.RefusedPolls[ReasonPushLimit] != 0 {
		t.Errorf("got %+v at the limit, want all %d accepted", res, MaxPollsPerPush)
	}
	w.Reset()
	res := w.Take(polls, t0)
	if res.Accepted != MaxPollsPerPush || res.RefusedPolls[ReasonPushLimit] != 1 {
		t.Errorf("got %d accepted, %d refused, want %d and 1", res.Accepted, res.RefusedPolls[ReasonPushLimit], MaxPollsPerPush)
	}
	if d, _ := w.Stats(); d != MaxPollsPerPush {
		t.Errorf("got %d devices, want %d", d, MaxPollsPerPush)
	}
}

// TestImplausibleReadingsAreCounted: dropped readings are counted by
// reason: infinite, and finite beyond MaxMagnitude (1.7e308 W made a
// rack's sum infinite); MaxMagnitude itself is kept.
func TestImplausibleReadingsAreCounted(t *testing.T) {
	w := New(4, 30*time.Second)
	res := w.Take([]collectors.Status{{Device: "P1", At: t0, OK: true,
		Readings: append(append(power(math.Inf(1)), power(1.7e308)...), collectors.Reading{Metric: collectors.EnergyJoules, Scope: collectors.ScopeDevice, Value: MaxMagnitude})}}, t0)
	if res.DroppedReadings[ReasonImplausible] != 2 || w.Dropped()[ReasonImplausible] != 2 {
		t.Errorf("got %+v, counted %v, want 2 implausible", res, w.Dropped())
	}
	if len(res.Problems) != 2 || res.Problems[1].Value != 1.7e308 || res.Problems[1].Reason != ReasonImplausible {
		t.Errorf("problems: got %+v, want the two readings described", res.Problems)
	}
}

// TestSeriesBlowUpIsBounded replays the attack of issue 7: pushes of new
// reading indexes for one PDU. The device keeps MaxSeriesPerDevice series,
// the rest are dropped and counted, the heap stays small, and the series it
// had keep taking samples.
func TestSeriesBlowUpIsBounded(t *testing.T) {
	const pushes, perPush = 8, 100_000
	w := New(DefaultSamples, 30*time.Second)
	before := heapInUse()
	for i := range pushes {
		rs := make([]collectors.Reading, perPush)
		for j := range rs {
			rs[j] = collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopeOutlet, Index: i*perPush + j + 1, Value: 1}
		}
		at := t0.Add(time.Duration(i) * time.Second)
		w.Ingest([]collectors.Status{{Device: "P1", At: at, OK: true, Readings: rs}}, at)
	}
	after := heapInUse()
	if _, s := w.Stats(); s != MaxSeriesPerDevice {
		t.Errorf("got %d series, want %d", s, MaxSeriesPerDevice)
	}
	if got, want := w.Dropped()[ReasonSeriesLimit], uint64(pushes*perPush-MaxSeriesPerDevice); got != want {
		t.Errorf("got %d readings dropped for the series limit, want %d", got, want)
	}
	const bound = 16 << 20
	if grew := int64(after) - int64(before); grew > bound {
		t.Errorf("got the heap %d MB larger, want under %d MB", grew>>20, bound>>20)
	}
	t.Logf("heap grew by %d KB for %d series", (int64(after)-int64(before))>>10, MaxSeriesPerDevice)
	// A series the device has still takes samples at the limit.
	k := Key{"P1", collectors.PowerWatts, collectors.ScopeOutlet, 1}
	at := t0.Add(time.Minute)
	w.Ingest([]collectors.Status{{Device: "P1", At: at, OK: true,
		Readings: []collectors.Reading{{Metric: k.Metric, Scope: k.Scope, Index: 1, Value: 7}}}}, at)
	if s, ok := w.Latest(k, at); !ok || s.Value != 7 {
		t.Errorf("got %v (known %v), want 7", s.Value, ok)
	}
	runtime.KeepAlive(w)
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReadingsBeyondRatingAreDropped: a reading past what its device can
// carry (its catalog rating) is dropped with its reason and the bound; one
// within it is kept; a device the catalog lacks is bounded by MaxMagnitude
// only.
func TestReadingsBeyondRatingAreDropped(t *testing.T) {
	site := &inventory.Site{Name: "s", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1",
		Racks:   []inventory.Rack{{ID: "K1", PDUs: []inventory.PDU{{ID: "P1", Feed: "A", Phases: 3, VoltageV: 230, BreakerA: 32}}}},
		Cooling: []inventory.CoolingUnit{{ID: "C1", CapacityKW: 50}}}}}}}
	w := New(4, 30*time.Second)
	w.SetCatalog(NewCatalog(site))
	max := 3 * 230 * 32 * RatingMargin // 44,160 W
	res := w.Take([]collectors.Status{
		{Device: "P1", At: t0, OK: true, Readings: append(power(float64(max)), collectors.Reading{Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: 1, Value: 3 * 32 * RatingMargin * 1.01})},
		{Device: "P2", At: t0, OK: true, Readings: power(10e6)},
		{Device: "C1", At: t0, OK: true, Readings: []collectors.Reading{{Metric: collectors.CoolingOutputWatts, Scope: collectors.ScopeDevice, Value: 10e6}}},
	}, t0)
	if got := res.DroppedReadings[ReasonBeyondRating]; got != 2 {
		t.Fatalf("beyond-rating: got %d (%+v), want 2: P1's phase current and C1's output", got, res)
	}
	if p := res.Problems[0]; p.Device != "P1" || p.Metric != collectors.CurrentAmperes || !strings.Contains(p.Detail, "at most 192") {
		t.Errorf("problem: got %+v, want P1's current, naming its bound 192 A", p)
	}
	if _, ok := w.Latest(Key{"P1", collectors.PowerWatts, collectors.ScopeDevice, 0}, t0); !ok {
		t.Error("P1's power at its rating: got dropped, want kept")
	}
	if _, ok := w.Latest(Key{"P2", collectors.PowerWatts, collectors.ScopeDevice, 0}, t0); !ok {
		t.Error("P2 (not in the catalog) at 10 MW: got dropped, want kept: only MaxMagnitude bounds it")
	}
	if w.Dropped()[ReasonBeyondRating] != 2 {
		t.Errorf("counted: got %v, want 2 beyond-rating", w.Dropped())
	}
}
