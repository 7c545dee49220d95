package calibration

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// TestRecordObserved checks the fold over the horizon: each server's
// lowest and highest reading within it, and nothing of what is older or
// not a draw.
func TestRecordObserved(t *testing.T) {
	r := NewRecord(24 * time.Hour)
	if got, want := r.Horizon(), 24*time.Hour; got != want {
		t.Fatalf("Horizon: got %v, want %v", got, want)
	}
	r.Observe("s1", t0, 300)
	r.Observe("s1", t0.Add(2*time.Hour), 455)
	r.Observe("s1", t0.Add(3*time.Hour), 120)
	r.Observe("s2", t0.Add(time.Hour), 0)          // off
	r.Observe("s2", t0.Add(time.Hour), math.NaN()) // unknown
	r.Observe("s3", t0.Add(time.Hour), 200)

	tests := []struct {
		name string
		now  time.Time
		want map[string]Observed
	}{
		{"all within", t0.Add(4 * time.Hour), map[string]Observed{
			"s1": {MinWatts: 120, MaxWatts: 455, Known: true},
			"s3": {MinWatts: 200, MaxWatts: 200, Known: true},
		}},
		// The first hour's 300 W has left the horizon: the lowest is
		// still 120, the highest 455; s3's hour left it too.
		{"the first hours left", t0.Add(25*time.Hour + time.Minute), map[string]Observed{
			"s1": {MinWatts: 120, MaxWatts: 455, Known: true},
		}},
		{"everything left", t0.Add(30 * time.Hour), map[string]Observed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Observed(tt.now)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for id, w := range tt.want {
				if got[id] != w {
					t.Errorf("%s: got %+v, want %+v", id, got[id], w)
				}
			}
		})
	}
}

// TestRecordReusesSlots checks that a slot's old bucket is forgotten when
// a reading a horizon later lands in it, not folded with it.
func TestRecordReusesSlots(t *testing.T) {
	r := NewRecord(24 * time.Hour)
	r.Observe("s1", t0, 900)
	r.Observe("s1", t0.Add(24*time.Hour), 300) // the same slot, a day later
	want := Observed{MinWatts: 300, MaxWatts: 300, Known: true}
	if got := r.Observed(t0.Add(24 * time.Hour))["s1"]; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestRecordRetain checks that only the servers kept remain.
func TestRecordRetain(t *testing.T) {
	r := NewRecord(time.Hour)
	r.Observe("s1", t0, 100)
	r.Observe("s2", t0, 200)
	r.Retain(func(id string) bool { return id == "s2" })
	got := r.Observed(t0)
	if _, ok := got["s1"]; ok || len(got) != 1 {
		t.Errorf("got %+v, want s2 only", got)
	}
}
