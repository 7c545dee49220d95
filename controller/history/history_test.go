package history

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestPeak(t *testing.T) {
	tests := []struct {
		name string
		obs  []struct {
			at time.Duration
			w  float64
		}
		now    time.Duration
		want   float64
		wantOK bool
	}{
		{name: "nothing observed", now: 0},
		{name: "one", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 5000}}, now: time.Minute, want: 5000, wantOK: true},
		{name: "max of a bucket, not the last", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 9000}, {time.Minute, 4000}}, now: 2 * time.Minute, want: 9000, wantOK: true},
		{name: "max across buckets", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 7000}, {6 * time.Hour, 11000}, {20 * time.Hour, 3000}}, now: 23 * time.Hour, want: 11000, wantOK: true},
		{name: "older than the horizon is gone", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 14000}, {12 * time.Hour, 6000}}, now: 25 * time.Hour, want: 6000, wantOK: true},
		{name: "all older than the horizon", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 14000}}, now: 25 * time.Hour},
		{name: "a slot reused after a wrap holds only the new bucket", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 14000}, {24 * time.Hour, 2000}}, now: 24*time.Hour + time.Minute, want: 2000, wantOK: true},
		{name: "garbage ignored", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 3000}, {time.Minute, math.NaN()}, {2 * time.Minute, math.Inf(1)}, {3 * time.Minute, -50}}, now: 4 * time.Minute, want: 3000, wantOK: true},
		{name: "zero is a real draw", obs: []struct {
			at time.Duration
			w  float64
		}{{0, 0}}, now: time.Minute, want: 0, wantOK: true},
		{name: "future observations do not count yet", obs: []struct {
			at time.Duration
			w  float64
		}{{time.Hour, 9000}}, now: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(24*time.Hour, 5*time.Minute)
			for _, o := range tt.obs {
				r.Observe("K1", t0.Add(o.at), o.w)
			}
			got, ok := r.Peak("K1", t0.Add(tt.now))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %v, %v, want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPeaksAndRetain(t *testing.T) {
	r := New(0, 0)
	if r.Horizon() != DefaultHorizon {
		t.Errorf("horizon: got %v, want %v", r.Horizon(), DefaultHorizon)
	}
	r.Observe("K1", t0, 1000)
	r.Observe("K2", t0, 2000)
	r.Retain(func(id string) bool { return id == "K2" })
	got := r.Peaks(t0)
	if len(got) != 1 || got["K2"] != 2000 {
		t.Errorf("got %v, want map[K2:2000]", got)
	}
}
