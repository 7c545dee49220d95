package forecast

import (
	"errors"
	"math"
	"time"
)

// What a fit needs, in days with a peak.
const (
	// MinFitDays is the fewest days a forecast is made from.
	MinFitDays = 3
	// MinTrendDays is the fewest days a slope is fitted on: a slope over
	// less than a week takes a weekday's habits for growth.
	MinTrendDays = 7
	// MinShiftDays is the fewest days after a level shift for it to be
	// taken as one, not as a few odd days.
	MinShiftDays = 3
	// MinProfileDays is the fewest days a weekday profile is fitted on:
	// two of each weekday.
	MinProfileDays = 14
)

// fitRounds is how many times Fit alternates between the trend and the
// weekday profile; both settle within three on real traces.
const fitRounds = 5

// ErrShortHistory is returned by Fit for a history with fewer than
// MinFitDays days with a peak.
var ErrShortHistory = errors.New("forecast: history too short")

// Model is a fitted forecast of daily peaks: a trend plus a weekday
// profile. The trend is a line, or a level shift followed by a line: level
// Before on the days before Shift, then Level + Slope·(day − Shift). When
// Shift is 0 there is no shift and the line runs from day 0. A line is
// fitted only on at least MinTrendDays days; a shorter last segment is
// flat (Slope 0).
type Model struct {
	Start time.Time // midnight of day 0
	Days  int       // the days fitted, gaps included
	Shift int
	// Before, Level and Slope are in the unit of the peaks (W), Slope per
	// day.
	Before, Level, Slope float64
	// Profile is added to the trend on each weekday (index time.Weekday),
	// shrunk toward 0 by how little the weeks agree on it.
	Profile [7]float64
	// Sigma is the standard deviation of the fitted days' peaks around the
	// model.
	Sigma float64
}

// Trend is the model's trend on day i (counted from Start).
func (m *Model) Trend(i int) float64 {
	if i < m.Shift {
		return m.Before
	}
	return m.Level + m.Slope*float64(i-m.Shift)
}

// Peak is the model's forecast of the peak of day i: its trend plus its
// weekday's profile.
func (m *Model) Peak(i int) float64 { return m.Trend(i) + m.Profile[weekday(m.Start, i)] }

// Fit fits a model to daily peaks (NaN days are gaps).
//
// It alternates between the trend and the weekday profile: the trend is
// fitted to the peaks less the profile, the profile to the peaks less the
// trend. The trend is the one of these that the Bayesian information
// criterion prefers: a single line (flat under MinTrendDays days), or for
// each day c that leaves MinShiftDays days after it, a flat level before c
// and a line (or a flat level) from c on. Growth in a data centre comes in
// steps, a deployment at a time, as well as in ramps; a line through a
// step would forecast growth that is not there.
//
// The profile is each weekday's mean residual, centred, fitted only on
// MinProfileDays days or more, and shrunk by the factor
// max(0, 1 − (σ²/w) / var(profile)), where σ² is the residual variance
// and w the number of weeks: a weekday effect is kept in proportion to how
// far it stands above the noise of averaging w weeks.
func Fit(d Daily) (Model, error) {
	known := 0
	for _, v := range d.Peaks {
		if !math.IsNaN(v) {
			known++
		}
	}
	if known < MinFitDays {
		return Model{}, ErrShortHistory
	}
	m := Model{Start: d.Start, Days: len(d.Peaks)}
	des := make([]float64, len(d.Peaks))
	var params int
	for range fitRounds {
		for i, v := range d.Peaks {
			des[i] = v - m.Profile[d.Weekday(i)]
		}
		params = m.fitTrend(des)
		m.fitProfile(d, known, params)
	}
	var sse float64
	for i, v := range d.Peaks {
		if !math.IsNaN(v) {
			sse += sq(v - m.Peak(i))
		}
	}
	m.Sigma = math.Sqrt(sse / float64(known))
	return m, nil
}

// fitTrend fits the trend to y and returns its number of parameters.
func (m *Model) fitTrend(y []float64) int {
	n := len(y)
	floor := sq(1e-6 * meanAbs(y)) // a perfect fit is not infinitely better
	bic := func(sse float64, known, params int) float64 {
		return float64(known)*math.Log(max(sse/float64(known), floor)) + float64(params)*math.Log(float64(known))
	}
	level, slope, sse, known := segment(y, 0, n)
	params := 1
	if known >= MinTrendDays {
		params = 2 // a line
	}
	m.Shift, m.Before, m.Level, m.Slope = 0, level, level, slope
	best := bic(sse, known, params)
	for c := 1; c < n; c++ {
		before, _, sseB, knownB := flat(y, 0, c)
		l, s, sseA, knownA := segment(y, c, n)
		if knownB == 0 || knownA < MinShiftDays {
			continue
		}
		p := 3 // two levels and the day
		if knownA >= MinTrendDays {
			p = 4 // a level, the day, and a line
		}
		if score := bic(sseB+sseA, knownB+knownA, p); score < best {
			best, params = score, p
			m.Shift, m.Before, m.Level, m.Slope = c, before, l, s
		}
	}
	return params
}

// segment fits y[from:to] with a line through its known days when it has
// MinTrendDays of them, else with its mean. It returns the value at from,
// the slope per day, the sum of squared residuals and the known days.
func segment(y []float64, from, to int) (level, slope, sse float64, known int) {
	level, _, sse, known = flat(y, from, to)
	if known < MinTrendDays {
		return level, 0, sse, known
	}
	var mx, my float64
	for i := from; i < to; i++ {
		if !math.IsNaN(y[i]) {
			mx += float64(i-from) / float64(known)
			my += y[i] / float64(known)
		}
	}
	var sxy, sxx float64
	for i := from; i < to; i++ {
		if !math.IsNaN(y[i]) {
			x := float64(i-from) - mx
			sxy += x * (y[i] - my)
			sxx += x * x
		}
	}
	slope = sxy / sxx
	level = my - slope*mx
	sse = 0
	for i := from; i < to; i++ {
		if !math.IsNaN(y[i]) {
			sse += sq(y[i] - level - slope*float64(i-from))
		}
	}
	return level, slope, sse, known
}

// flat fits y[from:to] with its mean.
func flat(y []float64, from, to int) (level, slope, sse float64, known int) {
	for i := from; i < to; i++ {
		if !math.IsNaN(y[i]) {
			level += y[i]
			known++
		}
	}
	if known == 0 {
		return 0, 0, 0, 0
	}
	level /= float64(known)
	for i := from; i < to; i++ {
		if !math.IsNaN(y[i]) {
			sse += sq(y[i] - level)
		}
	}
	return level, 0, sse, known
}

// fitProfile fits the weekday profile to the peaks less the trend.
func (m *Model) fitProfile(d Daily, known, params int) {
	m.Profile = [7]float64{}
	if known < MinProfileDays {
		return
	}
	var sum [7]float64
	var count [7]int
	for i, v := range d.Peaks {
		if !math.IsNaN(v) {
			k := d.Weekday(i)
			sum[k] += v - m.Trend(i)
			count[k]++
		}
	}
	var mean float64
	for k := range m.Profile {
		if count[k] > 0 {
			m.Profile[k] = sum[k] / float64(count[k])
		}
		mean += m.Profile[k] / 7
	}
	var spread float64 // the profile's variance
	for k := range m.Profile {
		m.Profile[k] -= mean
		spread += sq(m.Profile[k]) / 6
	}
	var sse float64
	for i, v := range d.Peaks {
		if !math.IsNaN(v) {
			sse += sq(v - m.Peak(i))
		}
	}
	dof := known - 7 - params
	if dof <= 0 || spread == 0 {
		m.Profile = [7]float64{}
		return
	}
	weeks := float64(known) / 7
	shrink := max(0, 1-sse/float64(dof)/weeks/spread)
	for k := range m.Profile {
		m.Profile[k] *= shrink
	}
}

func sq(v float64) float64 { return v * v }

func meanAbs(y []float64) float64 {
	var s float64
	var n int
	for _, v := range y {
		if !math.IsNaN(v) {
			s += math.Abs(v)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}
