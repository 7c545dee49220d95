package forecast

import (
	"errors"
	"math"
	"testing"
	"time"
)

// monday is midnight UTC of a Monday.
var monday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func daily(peaks ...float64) Daily { return Daily{Start: monday, Peaks: peaks} }

// line is n days of peaks a + b·i.
func line(n int, a, b float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + b*float64(i)
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestFitTrend(t *testing.T) {
	nan := math.NaN()
	step := append(line(8, 1000, 0), line(6, 1200, 0)...)
	noisy := line(14, 1000, 10)
	for i := range noisy {
		noisy[i] += 5 * float64(1-2*(i%2)) // +5, −5, +5…
	}
	gaps := line(10, 1000, 10)
	gaps[3], gaps[6] = nan, nan
	tests := []struct {
		name                      string
		peaks                     []float64
		shift                     int
		before, level, slope, tol float64
		peakDay                   int
		peak                      float64
	}{
		// 10 days of 1,000 W + 10 W a day: day 12 is 1,120 W.
		{"a line", line(10, 1000, 10), 0, 1000, 1000, 10, 1e-6, 12, 1120},
		// Under MinTrendDays days no slope is fitted. Flat, 1,000 to 1,050
		// W leave 1,750 W² about their mean (BIC 6 ln(1750/6) + ln 6 =
		// 35.8); a step on day 3, from 1,010 to 1,040 W, leaves 400 W²
		// (BIC 6 ln(400/6) + 3 ln 6 = 30.6): the recent level wins.
		{"too short for a slope", line(6, 1000, 10), 3, 1010, 1040, 0, 1e-6, 20, 1040},
		// A step of 200 W on day 8: not a line of 14 W a day.
		{"a step", step, 8, 1000, 1200, 0, 1e-6, 20, 1200},
		// Alternating ±5 W about a line: still the line, its slope off by
		// the noise's own, −35/227.5 = −0.15 W a day.
		{"noise is no step", noisy, 0, 1000, 1000, 10, 3, 20, 1200},
		{"gaps", gaps, 0, 1000, 1000, 10, 1e-6, 12, 1120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Fit(daily(tt.peaks...))
			if err != nil {
				t.Fatalf("got %v, want a model", err)
			}
			if m.Shift != tt.shift || !near(m.Before, tt.before, tt.tol) || !near(m.Level, tt.level, tt.tol) || !near(m.Slope, tt.slope, tt.tol/10) {
				t.Errorf("got shift %d before %v level %v slope %v, want %d %v %v %v", m.Shift, m.Before, m.Level, m.Slope, tt.shift, tt.before, tt.level, tt.slope)
			}
			if got := m.Peak(tt.peakDay); !near(got, tt.peak, tt.tol*4) {
				t.Errorf("got peak %v on day %d, want %v", got, tt.peakDay, tt.peak)
			}
		})
	}
	if _, err := Fit(daily(1000, nan, 1010)); !errors.Is(err, ErrShortHistory) {
		t.Errorf("two days: got %v, want ErrShortHistory", err)
	}
}

// TestFitProfile: four weeks flat at 1,000 W but 60 W more on Mondays and
// 60 W less on Sundays: the profile is found whole (the weeks agree, no
// noise), the trend flat.
func TestFitProfile(t *testing.T) {
	if monday.Weekday() != time.Monday {
		t.Fatalf("got %v, want the test's start on a Monday", monday.Weekday())
	}
	peaks := line(28, 1000, 0)
	for i := range peaks {
		switch i % 7 {
		case 0:
			peaks[i] += 60
		case 6:
			peaks[i] -= 60
		}
	}
	m, err := Fit(daily(peaks...))
	if err != nil {
		t.Fatal(err)
	}
	if !near(m.Profile[time.Monday], 60, 0.5) || !near(m.Profile[time.Sunday], -60, 0.5) || !near(m.Profile[time.Wednesday], 0, 0.5) {
		t.Errorf("got profile %v, want +60 Monday, −60 Sunday, 0 otherwise", m.Profile)
	}
	if !near(m.Peak(28), 1060, 1) || !near(m.Peak(34), 940, 1) {
		t.Errorf("got Monday %v, Sunday %v after the fit, want 1060 and 940", m.Peak(28), m.Peak(34))
	}
}

// TestProfileShrink fits the profile on a flat trend of 1,000 W over two
// weeks whose Mondays are 60 W and 40 W above it. Worked by hand: Monday's
// mean residual 50, the others 0; centred, Monday 300/7 and the others
// −50/7; their variance 105000/294; the residuals' squares 44800/49 over
// 14 − 7 − 1 = 6 degrees of freedom, over 2 weeks: shrink 1 − 16/75 =
// 59/75, Monday 300/7 × 59/75 = 33.714 W.
func TestProfileShrink(t *testing.T) {
	peaks := line(14, 1000, 0)
	peaks[0], peaks[7] = 1060, 1040
	d := daily(peaks...)
	m := Model{Start: monday, Level: 1000}
	m.fitProfile(d, 14, 1)
	if !near(m.Profile[time.Monday], 300.0/7*59/75, 1e-9) || !near(m.Profile[time.Friday], -50.0/7*59/75, 1e-9) {
		t.Errorf("got Monday %v Friday %v, want %v and %v", m.Profile[time.Monday], m.Profile[time.Friday], 300.0/7*59/75, -50.0/7*59/75)
	}
	// Weeks that disagree (60 W above, 20 W below): shrunk to nothing.
	peaks[7] = 980
	m.fitProfile(daily(peaks...), 14, 1)
	if m.Profile != [7]float64{} {
		t.Errorf("got %v, want no profile", m.Profile)
	}
	// Under MinProfileDays: none.
	m.fitProfile(daily(peaks[:13]...), 13, 1)
	if m.Profile != [7]float64{} {
		t.Errorf("got %v from 13 days, want no profile", m.Profile)
	}
}
