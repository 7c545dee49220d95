package forecast

import (
	"math"
	"time"
)

// Defaults of a Forecaster.
const (
	DefaultHorizonDays = 90
	DefaultMinCoverage = 0.5
)

// Forecaster forecasts when a series' daily peak reaches a budget. The
// zero value uses UTC days, DefaultHorizonDays and DefaultMinCoverage.
type Forecaster struct {
	// Location is where days begin and end; nil is UTC.
	Location *time.Location
	// HorizonDays is how far ahead to look; 0 is DefaultHorizonDays.
	HorizonDays int
	// MinCoverage is the share of a day's buckets that must have been
	// observed for the day's peak to count; 0 is DefaultMinCoverage.
	MinCoverage float64
}

// Result is a days-to-full forecast.
type Result struct {
	// Known is false when the history has fewer than MinFitDays complete
	// days: nothing is forecast.
	Known bool `json:"known"`
	// Within says whether the budget is reached within the horizon; Days
	// is then how many days from today until the first day forecast to
	// reach it (0: today, when today's peak so far, or today's forecast,
	// already does).
	Within bool `json:"within"`
	Days   int  `json:"days"`
	// Peak is the forecast peak of that day, or of the horizon's last day
	// when not Within; Budget what it was compared with.
	Peak   float64 `json:"peak"`
	Budget float64 `json:"budget"`
	Model  Model   `json:"model"`
}

// DaysOrInf is Days as a float, +Inf when the budget is not reached within
// the horizon: what alerts.Forecast.Days takes.
func (r Result) DaysOrInf() float64 {
	if !r.Within {
		return math.Inf(1)
	}
	return float64(r.Days)
}

// DaysToFull forecasts from s when its daily peak reaches budget. The
// model is fitted on the complete days before today (the day of now);
// today's peak so far counts at once.
func (f Forecaster) DaysToFull(s Series, budget float64, now time.Time) Result {
	loc, horizon, cov := f.Location, f.HorizonDays, f.MinCoverage
	if loc == nil {
		loc = time.UTC
	}
	if horizon <= 0 {
		horizon = DefaultHorizonDays
	}
	if cov <= 0 {
		cov = DefaultMinCoverage
	}
	d := DailyPeaks(s, loc, cov)
	today := dayIndex(d.Start, now, loc)
	out := Result{Budget: budget}
	if today < 0 {
		return out
	}
	var soFar float64 = math.NaN()
	if today < len(d.Peaks) {
		// Today's peak so far, whatever its coverage.
		soFar = todayPeak(s, midnight(now, loc), now)
		d.Peaks, d.Coverage = d.Peaks[:today], d.Coverage[:today]
	}
	m, err := Fit(d)
	if err != nil {
		return out
	}
	out.Known, out.Model = true, m
	if soFar >= budget {
		out.Within, out.Days, out.Peak = true, 0, soFar
		return out
	}
	for h := 0; h <= horizon; h++ {
		out.Peak = m.Peak(today + h)
		if out.Peak >= budget {
			out.Within, out.Days = true, h
			return out
		}
	}
	return out
}

// dayIndex is the number of calendar days in loc from start's day to t's.
func dayIndex(start, t time.Time, loc *time.Location) int {
	civil := func(x time.Time) int64 {
		y, m, d := x.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	return int(civil(t) - civil(start))
}

// todayPeak is the highest bucket maximum of s from midnight to now; NaN
// when none.
func todayPeak(s Series, from, now time.Time) float64 {
	peak := math.NaN()
	for i, v := range s.Values {
		at := s.At(i)
		if at.Before(from) || at.After(now) || math.IsNaN(v) {
			continue
		}
		if math.IsNaN(peak) || v > peak {
			peak = v
		}
	}
	return peak
}
