package forecast

import (
	"fmt"
	"math"
	"time"
)

// Backtest judges the forecast on a recorded series: it fits on the first
// FitDays days, forecasts the daily peaks of the next TestDays days, and
// compares its mean absolute percentage error (MAPE) with that of the
// naive seasonal forecast: each bucket as it was at the same time one week
// before, whose daily peak is then the forecast.
type Backtest struct {
	FitDays  int           // 0 is 14
	TestDays int           // 0 is 7
	Bucket   time.Duration // 0 is DefaultBucket
	// Scale multiplies every sample: a PDU's utilisation × a rack's budget
	// in watts puts the trace onto a rack. MAPE does not depend on it.
	Scale float64 // 0 is 1
	// Location is where days begin; nil is UTC.
	Location *time.Location
}

// DayForecast is one test day: its actual peak and the two forecasts.
type DayForecast struct {
	Day      int       `json:"day"` // from the first day of the trace, 0-based
	Date     time.Time `json:"date"`
	Actual   float64   `json:"actual"`
	Forecast float64   `json:"forecast"`
	Naive    float64   `json:"naive"`
}

// Evaluation is the outcome of a Backtest. MAPE and NaiveMAPE are in
// percent, over the test days on which the actual peak and both forecasts
// are known.
type Evaluation struct {
	Days      []DayForecast `json:"days"`
	MAPE      float64       `json:"mape"`
	NaiveMAPE float64       `json:"naive_mape"`
	Model     Model         `json:"model"`
}

// Run backtests the forecast on samples. The first day is the day of the
// earliest sample. Test days without a peak (too little of the day in the
// samples) are listed but left out of the MAPEs; none at all is an error.
func (b Backtest) Run(samples []Sample) (Evaluation, error) {
	fit, test, step, scale, loc := b.FitDays, b.TestDays, b.Bucket, b.Scale, b.Location
	if fit <= 0 {
		fit = 14
	}
	if test <= 0 {
		test = 7
	}
	if step <= 0 {
		step = DefaultBucket
	}
	if scale == 0 {
		scale = 1
	}
	if loc == nil {
		loc = time.UTC
	}
	if len(samples) == 0 {
		return Evaluation{}, ErrShortHistory
	}
	first := samples[0].At
	for _, s := range samples {
		if s.At.Before(first) {
			first = s.At
		}
	}
	start := midnight(first, loc)
	end := start.AddDate(0, 0, fit+test)
	scaled := make([]Sample, len(samples))
	for i, s := range samples {
		scaled[i] = Sample{At: s.At, Value: s.Value * scale}
	}
	series := Bucketed(scaled, start, step, int(end.Sub(start)/step))
	all := DailyPeaks(series, loc, DefaultMinCoverage)
	if len(all.Peaks) < fit+test {
		return Evaluation{}, fmt.Errorf("%d days of trace, want %d: %w", len(all.Peaks), fit+test, ErrShortHistory)
	}
	m, err := Fit(Daily{Start: all.Start, Peaks: all.Peaks[:fit], Coverage: all.Coverage[:fit]})
	if err != nil {
		return Evaluation{}, err
	}
	naive := DailyPeaks(weekBefore(series), loc, DefaultMinCoverage)
	ev := Evaluation{Model: m}
	var errM, errN float64
	var n int
	for day := fit; day < fit+test; day++ {
		f := DayForecast{Day: day, Date: all.Start.AddDate(0, 0, day), Actual: all.Peaks[day], Forecast: m.Peak(day), Naive: naive.Peaks[day]}
		ev.Days = append(ev.Days, f)
		if math.IsNaN(f.Actual) || math.IsNaN(f.Naive) || f.Actual <= 0 {
			continue
		}
		errM += math.Abs(f.Forecast-f.Actual) / f.Actual
		errN += math.Abs(f.Naive-f.Actual) / f.Actual
		n++
	}
	if n == 0 {
		return ev, fmt.Errorf("no test day with a peak: %w", ErrShortHistory)
	}
	ev.MAPE, ev.NaiveMAPE = 100*errM/float64(n), 100*errN/float64(n)
	return ev, nil
}

// weekBefore is the naive seasonal forecast of s: each bucket the value of
// the bucket 7 × 24 hours before it, NaN for the first week.
func weekBefore(s Series) Series {
	lag := int(7 * 24 * time.Hour / s.Step)
	out := Series{Start: s.Start, Step: s.Step, Values: make([]float64, len(s.Values))}
	for i := range out.Values {
		out.Values[i] = math.NaN()
		if i >= lag {
			out.Values[i] = s.Values[i-lag]
		}
	}
	return out
}
