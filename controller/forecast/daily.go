package forecast

import (
	"math"
	"time"
)

// Sample is one measurement at a time.
type Sample struct {
	At    time.Time
	Value float64
}

// Bucketed turns samples into a Series of n buckets of step from start:
// each bucket the maximum of the samples within it, NaN when none is.
// Samples outside the n buckets, or not finite, are left out.
func Bucketed(samples []Sample, start time.Time, step time.Duration, n int) Series {
	s := Series{Start: start, Step: step, Values: make([]float64, n)}
	for i := range s.Values {
		s.Values[i] = math.NaN()
	}
	for _, x := range samples {
		if math.IsNaN(x.Value) || math.IsInf(x.Value, 0) || x.At.Before(start) {
			continue
		}
		i := int(x.At.Sub(start) / step)
		if i >= n {
			continue
		}
		if math.IsNaN(s.Values[i]) || x.Value > s.Values[i] {
			s.Values[i] = x.Value
		}
	}
	return s
}

// Daily is a series of daily peaks: Peaks[i] is the highest bucket maximum
// of day i after Start, NaN when less than the minimum coverage of that
// day was observed.
type Daily struct {
	Start time.Time // midnight, in its location, of the first day
	Peaks []float64
	// Coverage is the share of each day's buckets observed.
	Coverage []float64
}

// Weekday is the day of the week of day i.
func (d Daily) Weekday(i int) time.Weekday { return weekday(d.Start, i) }

func weekday(start time.Time, i int) time.Weekday {
	return time.Weekday((int(start.Weekday()) + i%7 + 7) % 7)
}

// midnight is the start of the day of t in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// DailyPeaks takes the peak of each day (midnight to midnight in loc) of
// s: the day's highest bucket maximum, when at least minCoverage of its
// buckets were observed. A bucket belongs to the day in which it starts.
// Days follow the calendar, so a day with a daylight saving change has 23
// or 25 hours.
func DailyPeaks(s Series, loc *time.Location, minCoverage float64) Daily {
	if loc == nil {
		loc = time.UTC
	}
	if len(s.Values) == 0 || s.Step <= 0 {
		return Daily{Start: midnight(s.Start, loc)}
	}
	d := Daily{Start: midnight(s.Start, loc)}
	day, end := d.Start, d.Start.AddDate(0, 0, 1)
	peak, seen := math.NaN(), 0
	closeDay := func() {
		cov := float64(seen) / float64(end.Sub(day)/s.Step)
		d.Coverage = append(d.Coverage, cov)
		if cov < minCoverage || seen == 0 {
			peak = math.NaN()
		}
		d.Peaks = append(d.Peaks, peak)
		peak, seen = math.NaN(), 0
		day, end = end, end.AddDate(0, 0, 1)
	}
	for i, v := range s.Values {
		for !s.At(i).Before(end) {
			closeDay()
		}
		if math.IsNaN(v) {
			continue
		}
		seen++
		if math.IsNaN(peak) || v > peak {
			peak = v
		}
	}
	closeDay()
	return d
}
