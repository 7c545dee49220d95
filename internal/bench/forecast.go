package bench

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/forecast"
)

// TraceOrigin is the time a Google 2019 power trace's clock counts from:
// the trace period began on 1 May 2019 (UTC). Days, and so weekdays, are
// counted from it.
var TraceOrigin = time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)

// ForecastConfig is what the forecast backtest needs.
type ForecastConfig struct {
	// Trace is a file in the format of Google's 2019 power traces
	// (index,time,pdu,measured_power_util), one or more PDUs in it.
	Trace string
	// BudgetWatts scales each PDU's utilisation onto a rack of this budget
	// (15 kW if 0). The errors, being relative, do not depend on it.
	BudgetWatts float64
}

// ForecastResult is the backtest of every PDU of a trace.
type ForecastResult struct {
	Trace       string        `json:"trace"`
	BudgetWatts float64       `json:"budget_watts"`
	PDUs        []ForecastPDU `json:"pdus"`
}

// ForecastPDU is one PDU's backtest: the model fitted on the first two
// thirds of its whole days, its forecast of the daily peaks of the rest
// against the naive seasonal forecast (each 5 minutes as a week before).
type ForecastPDU struct {
	PDU       string  `json:"pdu"`
	FitDays   int     `json:"fit_days"`
	TestDays  int     `json:"test_days"`
	MAPE      float64 `json:"mape_percent"`
	NaiveMAPE float64 `json:"naive_mape_percent"`
	// Days are the test days, each with its actual and forecast peaks.
	Days  []forecast.DayForecast `json:"days"`
	Model forecast.Model         `json:"model"`
}

// Forecast backtests the forecast on every PDU of cfg.Trace: fit on the
// first two thirds of its whole days, forecast the daily peaks of the
// rest, and compare with the naive seasonal forecast.
func Forecast(ctx context.Context, cfg ForecastConfig) (*ForecastResult, error) {
	if cfg.BudgetWatts <= 0 {
		cfg.BudgetWatts = 15000
	}
	f, err := os.Open(cfg.Trace)
	if err != nil {
		return nil, fmt.Errorf("bench forecast: %w", err)
	}
	defer f.Close()
	byPDU, err := forecast.ParseTrace(f, TraceOrigin)
	if err != nil {
		return nil, fmt.Errorf("bench forecast: %s: %w", cfg.Trace, err)
	}
	out := &ForecastResult{Trace: cfg.Trace, BudgetWatts: cfg.BudgetWatts}
	for _, pdu := range slices.Sorted(maps.Keys(byPDU)) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := backtestPDU(pdu, byPDU[pdu], cfg.BudgetWatts)
		if err != nil {
			return nil, fmt.Errorf("bench forecast: %s: %w", cfg.Trace, err)
		}
		out.PDUs = append(out.PDUs, r)
	}
	return out, nil
}

// backtestPDU backtests one PDU's samples.
func backtestPDU(pdu string, samples []forecast.Sample, budget float64) (ForecastPDU, error) {
	if len(samples) == 0 {
		return ForecastPDU{}, fmt.Errorf("%s: no samples: %w", pdu, forecast.ErrShortHistory)
	}
	first := slices.MinFunc(samples, func(a, b forecast.Sample) int { return a.At.Compare(b.At) }).At
	last := slices.MaxFunc(samples, func(a, b forecast.Sample) int { return a.At.Compare(b.At) }).At
	start := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	// Whole days, a last day counted when half of it is there: a day's
	// peak counts from half a day of samples (forecast.DefaultMinCoverage).
	days := int(math.Round(last.Sub(start).Hours() / 24))
	fit := days * 2 / 3
	if fit < forecast.MinFitDays || days-fit < 1 {
		return ForecastPDU{}, fmt.Errorf("%s: %d whole days, want at least %d: %w", pdu, days, forecast.MinFitDays+2, forecast.ErrShortHistory)
	}
	ev, err := forecast.Backtest{FitDays: fit, TestDays: days - fit, Scale: budget}.Run(samples)
	if err != nil {
		return ForecastPDU{}, fmt.Errorf("%s: %w", pdu, err)
	}
	return ForecastPDU{PDU: pdu, FitDays: fit, TestDays: days - fit, MAPE: ev.MAPE, NaiveMAPE: ev.NaiveMAPE, Days: ev.Days, Model: ev.Model}, nil
}

// Header names the table's columns.
func (r *ForecastResult) Header() []string {
	return []string{"PDU", "FIT DAYS", "TEST DAYS", "MAPE %", "NAIVE MAPE %", "MODEL"}
}

// Rows are the table's rows, a PDU each.
func (r *ForecastResult) Rows() [][]string {
	out := make([][]string, len(r.PDUs))
	for i, p := range r.PDUs {
		out[i] = []string{p.PDU, fmt.Sprint(p.FitDays), fmt.Sprint(p.TestDays), fmt.Sprintf("%.2f", p.MAPE),
			fmt.Sprintf("%.2f", p.NaiveMAPE), modelWords(p.Model)}
	}
	return out
}

// modelWords says what trend a model fitted.
func modelWords(m forecast.Model) string {
	if m.Shift > 0 {
		return fmt.Sprintf("step on day %d: %.0f → %.0f W, %+.1f W/day", m.Shift+1, m.Before, m.Level, m.Slope)
	}
	return fmt.Sprintf("%.0f W, %+.1f W/day", m.Level, m.Slope)
}

// Summary says what the figures are.
func (r *ForecastResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, scaled onto a %.0f W rack: MAPE of the forecast daily peaks over the test days,\n", r.Trace, r.BudgetWatts)
	b.WriteString("against the naive seasonal forecast (each 5 minutes as one week before).\n")
	b.WriteString(deterministic)
	if len(r.PDUs) > 0 {
		best := slices.MinFunc(r.PDUs, func(a, b ForecastPDU) int { return cmp.Compare(a.MAPE-a.NaiveMAPE, b.MAPE-b.NaiveMAPE) })
		fmt.Fprintf(&b, "Largest gain over naive: %s, %.2f %% against %.2f %%.\n", best.PDU, best.MAPE, best.NaiveMAPE)
	}
	return b.String()
}
