package sim

import (
	"math"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

func TestLoadModelDeterministic(t *testing.T) {
	at := time.Date(2025, 6, 1, 10, 17, 23, 0, time.UTC)
	a, b := NewLoadModel(12000, 7), NewLoadModel(12000, 7)
	if a.LoadAt(at) != b.LoadAt(at) {
		t.Errorf("same seed and time: got %v and %v, want equal", a.LoadAt(at), b.LoadAt(at))
	}
	if c := NewLoadModel(12000, 8); c.LoadAt(at) == a.LoadAt(at) {
		t.Errorf("different seeds: got the same load %v, want different", a.LoadAt(at))
	}
	if got, want := a.LoadAt(at.In(time.FixedZone("MSK", 3*3600))), a.LoadAt(at); got != want {
		t.Errorf("same instant in another zone: got %v, want %v", got, want)
	}
}

func TestLoadModelDailyShape(t *testing.T) {
	tests := []struct {
		name  string
		model LoadModel
	}{
		{"no noise", LoadModel{Base: 10000, Swing: 0.2, PeakHour: 14}},
		{"defaults", NewLoadModel(10000, 3)},
		{"shifted", LoadModel{Base: 10000, Swing: 0.2, PeakHour: 14, Offset: 3 * time.Hour, Noise: 0.03, Seed: 9}},
	}
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model
			peak := day.Add(time.Duration(m.PeakHour*float64(time.Hour)) - m.Offset)
			if hi, lo := m.LoadAt(peak), m.LoadAt(peak.Add(12*time.Hour)); hi <= lo*1.2 {
				t.Errorf("peak %v W vs trough %v W: want the peak well above", hi, lo)
			}
			sum, n, prev := 0.0, 0, m.LoadAt(day)
			for ts := day; ts.Before(day.Add(24 * time.Hour)); ts = ts.Add(10 * time.Second) {
				w := m.LoadAt(ts)
				if w < 0 || math.Abs(w-prev) > 0.02*m.Base {
					t.Fatalf("at %v: got %v W after %v W, want non-negative and smooth", ts, w, prev)
				}
				sum, n, prev = sum+w, n+1, w
			}
			if mean := sum / float64(n); math.Abs(mean-m.Base) > 0.02*m.Base {
				t.Errorf("daily mean: got %.0f W, want %.0f ± 2 %%", mean, m.Base)
			}
		})
	}
}

func TestRackPinAndFeeds(t *testing.T) {
	clock := newFakeClock()
	r := NewRack(NewLoadModel(9000, 42), clock.Now)
	if a := r.Share(FeedA); a < 0.47 || a > 0.53 || math.Abs(a+r.Share(FeedB)-1) > 1e-12 {
		t.Errorf("feed shares: got A %v, B %v, want about 0.5 each summing to 1", a, r.Share(FeedB))
	}
	if got, want := r.Load(), NewLoadModel(9000, 42).LoadAt(clock.Now()); got != want {
		t.Errorf("Load: got %v, want the model's %v", got, want)
	}
	r.Set(18000)
	clock.Advance(time.Hour)
	if got := r.Load(); got != 18000 {
		t.Errorf("pinned Load an hour later: got %v, want 18000", got)
	}
	if got := r.FeedLoad(FeedA) + r.FeedLoad(FeedB); math.Abs(got-18000) > 1e-9 {
		t.Errorf("A + B: got %v, want 18000", got)
	}
	r.Release()
	if got := r.Load(); got == 18000 {
		t.Errorf("released Load: got %v, want the model's again", got)
	}
}

// TestSilencedFeedKeepsLoad: silencing feed A's PDU is a communications
// fault; feed B's PDU keeps reading its own share, not the whole rack.
func TestSilencedFeedKeepsLoad(t *testing.T) {
	r := NewRack(NewLoadModel(10000, 5), nil)
	r.Set(10000)
	pdus := map[string]*Device{}
	var pduA *RackPDU
	for _, f := range []Feed{FeedA, FeedB} {
		pdu, err := NewRackPDU(RackPDUConfig{Name: "r1-" + f.String(), Phases: 3, Load: r.FeedFunc(f)})
		if err != nil {
			t.Fatalf("NewRackPDU: %v", err)
		}
		pdus["pdu-"+f.String()] = pdu.Device
		if f == FeedA {
			pduA = pdu
		}
	}
	a := startAgent(t, pdus)
	power := col(rpdu2DevStatus, 5, 1)
	readB := func() int {
		res, err := a.client(t, "pdu-B", gosnmp.Version2c).Get([]string{power})
		if err != nil {
			t.Fatalf("Get from B: %v", err)
		}
		return res.Variables[0].Value.(int)
	}
	before := readB()
	pduA.Silence(true)
	c := a.client(t, "pdu-A", gosnmp.Version2c)
	c.Timeout, c.Retries = 200*time.Millisecond, 0
	if _, err := c.Get([]string{power}); err == nil {
		t.Errorf("silenced PDU A: got an answer, want a timeout")
	}
	if got := readB(); got != before || math.Abs(float64(got)*10-r.FeedLoad(FeedB)) > 5 {
		t.Errorf("PDU B with A silent: got %d hkW, want %d (its share, %.0f W)", got, before, r.FeedLoad(FeedB))
	}
	if got := r.Load(); got != 10000 {
		t.Errorf("rack load with A silent: got %v, want 10000", got)
	}
}

func TestTotalLoad(t *testing.T) {
	a, b := NewRack(LoadModel{}, nil), NewRack(LoadModel{}, nil)
	a.Set(4000)
	b.Set(6500)
	if got := TotalLoad(a, b)(); got != 10500 {
		t.Errorf("TotalLoad: got %v, want 10500", got)
	}
}

// TestLoadNeverNegative: a model that swings below zero, and a pin below
// zero, read as 0 W.
func TestLoadNeverNegative(t *testing.T) {
	m := LoadModel{Base: 1000, Swing: 2, PeakHour: 12}
	trough := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) // 12 h from the peak
	if got := m.LoadAt(trough); got != 0 {
		t.Errorf("LoadAt the trough: got %v, want 0", got)
	}
	r := NewRack(LoadModel{}, nil)
	r.Set(-500)
	if got := r.Load(); got != 0 {
		t.Errorf("Set(-500): got %v, want 0", got)
	}
}

// TestLoadState checks the rPDU2 load states of a 32 A breaker: near
// overload from 80 % of the rating (rounded to whole amperes), overload at
// the rating.
func TestLoadState(t *testing.T) {
	tests := []struct {
		currentD, want int
	}{
		{0, loadNormal}, {259, loadNormal}, {260, loadNearOverload}, {319, loadNearOverload}, {320, loadOverload}, {500, loadOverload},
	}
	for _, tt := range tests {
		if got := loadState(tt.currentD, 32); got != tt.want {
			t.Errorf("%d tenths of A: got state %d, want %d", tt.currentD, got, tt.want)
		}
	}
}
