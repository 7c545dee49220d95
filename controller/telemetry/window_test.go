package telemetry

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
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
		{"too old", []collectors.Status{{Device: "P1", At: t0, OK: true, Readings: power(5000)}}, t0.Add(31 * time.Second), 0, false, "too-old"},
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
			w.Ingest(tt.polls)
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
		w.Ingest([]collectors.Status{{Device: "P1", At: t0.Add(time.Duration(i) * time.Second), OK: true, Readings: power(float64(i))}})
	}
	got := w.Range(pduPower, time.Time{})
	if len(got) != 3 || got[0].Value != 2 || got[2].Value != 4 {
		t.Errorf("got %v, want the last three samples 2, 3, 4", got)
	}
	if got := w.Range(pduPower, t0.Add(4*time.Second)); len(got) != 1 {
		t.Errorf("got %d samples since the last, want 1", len(got))
	}
}
