package forecast

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin for the daylight saving test, wherever the test runs
)

// rampHistory is a 60-day history of hourly buckets from Monday to now,
// every bucket of day i at 1,000 W + 10 W·i.
func rampHistory(now time.Time) Series {
	h := NewHistory(60*24*time.Hour, time.Hour)
	k := Key{KindRack, "K1"}
	for at := monday; !at.After(now); at = at.Add(time.Hour) {
		h.Observe(k, at, 1000+10*float64(at.Sub(monday)/(24*time.Hour)))
	}
	return h.Series(k, now)
}

func TestDaysToFull(t *testing.T) {
	now := monday.AddDate(0, 0, 10).Add(6 * time.Hour) // day 10, 06:00: today so far 1,100 W
	s := rampHistory(now)
	spike := Series{Start: s.Start, Step: s.Step, Values: slices.Clone(s.Values)}
	spike.Values[len(spike.Values)-1] = 1500 // 06:00 today
	tests := []struct {
		name   string
		f      Forecaster
		s      Series
		budget float64
		want   Result // Known, Within, Days, Peak
	}{
		// Day 15 is forecast at 1,000 + 150 W.
		{"five days", Forecaster{}, s, 1150, Result{Known: true, Within: true, Days: 5, Peak: 1150}},
		{"just over: six days", Forecaster{}, s, 1151, Result{Known: true, Within: true, Days: 6, Peak: 1160}},
		{"reached today already", Forecaster{}, s, 1100, Result{Known: true, Within: true, Days: 0, Peak: 1100}},
		// Day 40 is forecast at 1,400 W, but today has already seen 1,500.
		{"a spike today", Forecaster{}, spike, 1400, Result{Known: true, Within: true, Days: 0, Peak: 1500}},
		// Day 100 = today + 90 is 2,000 W: the horizon's last day counts.
		{"at the horizon", Forecaster{}, s, 2000, Result{Known: true, Within: true, Days: 90, Peak: 2000}},
		{"beyond the horizon", Forecaster{}, s, 2001, Result{Known: true, Peak: 2000}},
		{"a shorter horizon", Forecaster{HorizonDays: 4}, s, 1150, Result{Known: true, Peak: 1140}},
		{"two days are not enough", Forecaster{}, rampHistory(monday.AddDate(0, 0, 2)), 1150, Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f.DaysToFull(tt.s, tt.budget, now)
			if got.Known != tt.want.Known || got.Within != tt.want.Within || got.Days != tt.want.Days || !near(got.Peak, tt.want.Peak, 1e-6) {
				t.Errorf("got known %v within %v days %d peak %v, want %v %v %d %v",
					got.Known, got.Within, got.Days, got.Peak, tt.want.Known, tt.want.Within, tt.want.Days, tt.want.Peak)
			}
			if got.Within != !math.IsInf(got.DaysOrInf(), 1) {
				t.Errorf("got DaysOrInf %v with within %v", got.DaysOrInf(), got.Within)
			}
		})
	}
}

func TestDailyPeaks(t *testing.T) {
	// Three days of hourly buckets from Monday 12:00: half of day 0, all
	// of day 1, a quarter of day 2; one bucket of day 1 missing.
	vals := make([]float64, 12+24+6)
	for i := range vals {
		vals[i] = float64(i)
	}
	vals[20] = math.NaN()
	d := DailyPeaks(Series{Start: monday.Add(12 * time.Hour), Step: time.Hour, Values: vals}, time.UTC, 0.5)
	want := []float64{11, 35, math.NaN()}
	wantCov := []float64{0.5, 23.0 / 24, 0.25}
	if len(d.Peaks) != 3 || !d.Start.Equal(monday) {
		t.Fatalf("got %d days from %v, want 3 from %v", len(d.Peaks), d.Start, monday)
	}
	for i := range want {
		if (math.IsNaN(want[i]) != math.IsNaN(d.Peaks[i])) || (!math.IsNaN(want[i]) && d.Peaks[i] != want[i]) || d.Coverage[i] != wantCov[i] {
			t.Errorf("day %d: got peak %v coverage %v, want %v %v", i, d.Peaks[i], d.Coverage[i], want[i], wantCov[i])
		}
	}
}

// TestDailyPeaksDST: in Berlin, Sunday 29 March 2026 has 23 hours; its
// buckets all belong to it, and 23 of them are the whole day.
func TestDailyPeaksDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)
	vals := make([]float64, 23+24)
	for i := range vals {
		vals[i] = float64(i)
	}
	d := DailyPeaks(Series{Start: start, Step: time.Hour, Values: vals}, berlin, 0.5)
	if len(d.Peaks) != 2 || d.Peaks[0] != 22 || d.Coverage[0] != 1 || d.Peaks[1] != 46 || d.Coverage[1] != 1 {
		t.Errorf("got peaks %v coverage %v, want [22 46] and whole days", d.Peaks, d.Coverage)
	}
}

func TestParseTrace(t *testing.T) {
	origin := time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)
	good := "index,time,pdu,measured_power_util\n0,600000000,pdu6,0.659\n1,900000000,pdu6,0.657\n2,600000000,pdu7,0.5\n"
	got, err := ParseTrace(strings.NewReader(good), origin)
	if err != nil {
		t.Fatalf("got %v, want the trace", err)
	}
	p6 := got["pdu6"]
	if len(got) != 2 || len(p6) != 2 || !p6[1].At.Equal(origin.Add(15*time.Minute)) || p6[1].Value != 0.657 || got["pdu7"][0].Value != 0.5 {
		t.Errorf("got %v, want pdu6's two samples at 10 and 15 minutes and pdu7's", got)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"another header", "i,t,p,u\n", "line 1: header"},
		{"a time that is not one", "index,time,pdu,measured_power_util\n0,soon,pdu6,0.5\n", "line 2: time \"soon\""},
		{"a negative utilisation", "index,time,pdu,measured_power_util\n0,1,pdu6,0.5\n1,2,pdu6,-0.1\n", "line 3: utilisation \"-0.1\""},
		{"no PDU", "index,time,pdu,measured_power_util\n0,1,,0.5\n", "line 2: no PDU"},
		{"a field short", "index,time,pdu,measured_power_util\n0,1,pdu6\n", "wrong number of fields"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTrace(strings.NewReader(tt.in), origin)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrBadTrace) {
				t.Errorf("got %v, want an ErrBadTrace saying %q", err, tt.want)
			}
		})
	}
}
