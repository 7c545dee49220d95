package forecast

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/power"
)

// values lists a series' values, −1 for NaN (nothing observed).
func values(s Series) []float64 {
	out := make([]float64, len(s.Values))
	for i, v := range s.Values {
		out[i] = v
		if math.IsNaN(v) {
			out[i] = -1
		}
	}
	return out
}

func TestHistory(t *testing.T) {
	k := Key{KindRack, "K1"}
	type obs struct {
		at time.Duration
		w  float64
	}
	m := 5 * time.Minute
	tests := []struct {
		name string
		obs  []obs
		now  time.Duration
		want []float64 // the 4 buckets of a 20-minute span; −1 is nothing observed
	}{
		{"nothing", nil, 0, []float64{-1, -1, -1, -1}},
		{"the max of a bucket, not the last", []obs{{0, 9000}, {time.Minute, 4000}}, time.Minute, []float64{-1, -1, -1, 9000}},
		{"buckets in order", []obs{{0, 1}, {m, 2}, {2 * m, 3}, {3 * m, 4}}, 3 * m, []float64{1, 2, 3, 4}},
		{"older than the span is gone", []obs{{0, 1}, {m, 2}, {4 * m, 5}}, 4 * m, []float64{2, -1, -1, 5}},
		{"a wrap empties the buckets skipped", []obs{{0, 1}, {m, 2}, {2 * m, 3}, {3 * m, 4}, {9 * m, 7}}, 9 * m, []float64{-1, -1, -1, 7}},
		{"late within the span counts", []obs{{3 * m, 4}, {m, 2}}, 3 * m, []float64{-1, 2, -1, 4}},
		// Bucket 0 shares its slot with bucket 4: a 9 there would be read as 4's.
		{"late beyond the span does not", []obs{{4 * m, 4}, {0, 9}}, 4 * m, []float64{-1, -1, -1, 4}},
		{"garbage ignored, zero kept", []obs{{0, math.NaN()}, {m, -50}, {2 * m, math.Inf(1)}, {3 * m, 0}}, 3 * m, []float64{-1, -1, -1, 0}},
		{"now past the newest", []obs{{0, 1}}, 2 * m, []float64{-1, 1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistory(20*time.Minute, m)
			for _, o := range tt.obs {
				h.Observe(k, monday.Add(o.at), o.w)
			}
			s := h.Series(k, monday.Add(tt.now))
			if got := values(s); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if want := monday.Add(tt.now).Truncate(m).Add(-3 * m); !s.Start.Equal(want) || s.Step != m {
				t.Errorf("got start %v step %v, want %v %v", s.Start, s.Step, want, m)
			}
		})
	}
}

func TestHistoryDefaultsAndKeys(t *testing.T) {
	h := NewHistory(0, 0)
	if h.Span() != DefaultSpan || h.Bucket() != DefaultBucket || h.n != 8640 {
		t.Errorf("got span %v bucket %v n %d, want 30 days of 5-minute buckets (8640)", h.Span(), h.Bucket(), h.n)
	}
	h.Observe(Key{KindRow, "R1"}, monday, 1)
	h.Observe(Key{KindRack, "K2"}, monday, 1)
	h.Observe(Key{KindRack, "K1"}, monday, 1)
	h.Retain(func(k Key) bool { return k.ID != "K2" })
	if got := h.Keys(); !slices.Equal(got, []Key{{KindRack, "K1"}, {KindRow, "R1"}}) {
		t.Errorf("got %v, want rack K1 then row R1", got)
	}
}

// TestObserveReport: racks with a known draw, rows and halls only when
// complete.
func TestObserveReport(t *testing.T) {
	w := func(v float64) *float64 { return &v }
	rep := &power.Report{At: monday,
		Racks: []power.Rack{{ID: "K1", BudgetWatts: 15000, DrawWatts: w(5000)}, {ID: "K2", BudgetWatts: 15000}},
		Rows:  []power.Rollup{{ID: "R1", BudgetWatts: 30000, DrawWatts: 5000}, {ID: "R2", BudgetWatts: 15000, DrawWatts: 0, Complete: true}},
		Halls: []power.Rollup{{ID: "H1", BudgetWatts: 45000, DrawWatts: 5000}},
	}
	h := NewHistory(time.Hour, 0)
	h.ObserveReport(rep)
	if got := h.Keys(); !slices.Equal(got, []Key{{KindRack, "K1"}, {KindRow, "R2"}}) {
		t.Errorf("got %v, want rack K1 and the complete row R2 only", got)
	}
	b := Budgets(rep)
	if b[Key{KindRack, "K2"}] != 15000 || b[Key{KindRow, "R1"}] != 30000 || b[Key{KindHall, "H1"}] != 45000 || len(b) != 5 {
		t.Errorf("got %v, want every rack's, row's and hall's budget", b)
	}
}
