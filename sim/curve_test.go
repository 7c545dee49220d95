package sim

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
)

// TestGoogleCurves reads Google's 2019 PDUs as curves: three, at 5
// minutes, three weeks long, each of mean 1, the first sample of pdu6
// being its 0.659 over its mean.
func TestGoogleCurves(t *testing.T) {
	cs, err := LoadCurves(peer.Traces(t, "google-power-2019"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || cs[0].Name != "pdu6" || cs[2].Name != "pdu8" {
		t.Fatalf("got %d curves %v, want pdu6, pdu7, pdu8", len(cs), cs)
	}
	for _, c := range cs {
		if c.Step != 5*time.Minute || c.Len() != 21*24*time.Hour {
			t.Errorf("%s: got step %v and length %v, want 5m0s and 21 days", c.Name, c.Step, c.Len())
		}
		var sum float64
		for _, v := range c.shape {
			sum += v
		}
		if mean := sum / float64(len(c.shape)); math.Abs(mean-1) > 1e-9 {
			t.Errorf("%s: got a mean of %v, want 1", c.Name, mean)
		}
	}
	// pdu6's first sample is 0.659 of its capacity, over its mean (read
	// here from the file by forecast.ParseTrace, not through Curve).
	f, err := os.Open(filepath.Join(peer.Traces(t, "google-power-2019"), "pdu6.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ss, err := forecast.ParseTrace(f, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, s := range ss["pdu6"] {
		sum += s.Value
	}
	if got, want := cs[0].At(0), 0.659/(sum/float64(len(ss["pdu6"]))); math.Abs(got-want) > 1e-9 {
		t.Errorf("pdu6 at 0: got %v, want 0.659 over its mean, %v", got, want)
	}
}

// curveCSV is a trace of pdu "p" with samples vs at step seconds.
func curveCSV(step int, vs ...float64) string {
	var b strings.Builder
	b.WriteString("index,time,pdu,measured_power_util\n")
	for i, v := range vs {
		fmt.Fprintf(&b, "%d,%d,p,%g\n", i, (i+1)*step*1_000_000, v)
	}
	return b.String()
}

func ramp(n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = 0.5 + 0.5*float64(i)/float64(n)
	}
	return vs
}

// TestCurveAtEasesAndWraps: between samples the curve eases linearly; past
// its end it starts again (the last sample easing into the first); before
// its start too.
func TestCurveAtEasesAndWraps(t *testing.T) {
	vs := ramp(minCurveSamples)
	cs, err := ParseCurves(strings.NewReader(curveCSV(300, vs...)))
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	mean := 0.0
	for _, v := range vs {
		mean += v / float64(len(vs))
	}
	for _, tc := range []struct {
		d    time.Duration
		want float64
	}{
		{0, vs[0] / mean},
		{150 * time.Second, (vs[0] + vs[1]) / 2 / mean},
		{10 * 300 * time.Second, vs[10] / mean},
		{c.Len() + 10*300*time.Second, vs[10] / mean},
		{c.Len() - 150*time.Second, (vs[len(vs)-1] + vs[0]) / 2 / mean},
		{-300 * time.Second, vs[len(vs)-1] / mean},
	} {
		if got := c.At(tc.d); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("At(%v): got %v, want %v", tc.d, got, tc.want)
		}
	}
}

// TestParseCurvesRefuses: a gap, too short a trace, and a PDU that drew
// nothing are refused, naming the PDU and what is wrong.
func TestParseCurvesRefuses(t *testing.T) {
	gap := curveCSV(300, ramp(minCurveSamples+1)...)
	gap = strings.Replace(gap, fmt.Sprintf("5,%d,p", 6*300*1_000_000), fmt.Sprintf("5,%d,p", 6*300*1_000_000+1), 1)
	for name, tc := range map[string]struct{ csv, want string }{
		"gap":     {gap, "PDU p: sample 6 comes 5m0.000001s after"},
		"short":   {curveCSV(300, 0.5, 0.6), "PDU p has 2 samples, want at least 288"},
		"nothing": {curveCSV(300, make([]float64, minCurveSamples)...), "PDU p: mean utilisation 0"},
		"header":  {"a,b,c,d\n", "header"},
	} {
		_, err := ParseCurves(strings.NewReader(tc.csv))
		if !errors.Is(err, ErrBadCurve) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrBadCurve saying %q", name, err, tc.want)
		}
	}
	if _, err := LoadCurves(t.TempDir()); !errors.Is(err, ErrBadCurve) || !strings.Contains(err.Error(), "no *.csv in") {
		t.Errorf("a folder without traces: got %v, want it named", err)
	}
	if _, err := LoadCurves(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrBadCurve) || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("no folder: got %v, want it said", err)
	}
}

// TestCurveModelReplaysAtBase: a rack on a curve draws base watts on
// average over the curve's length, follows the curve's shape (not the
// cosine's), and racks of different seeds start at different points.
func TestCurveModelReplaysAtBase(t *testing.T) {
	vs := make([]float64, minCurveSamples)
	for i := range vs {
		vs[i] = 0.5 // flat but for one step a quarter of the way in
	}
	vs[minCurveSamples/4] = 1.5
	cs, err := ParseCurves(strings.NewReader(curveCSV(300, vs...)))
	if err != nil {
		t.Fatal(err)
	}
	m := NewCurveModel(6000, 7, cs)
	m.Noise = 0
	start := time.Unix(0, 0).Add(-m.Offset)
	var sum float64
	n := 0
	for d := time.Duration(0); d < cs[0].Len(); d += 5 * time.Minute {
		sum += m.LoadAt(start.Add(d))
		n++
	}
	if mean := sum / float64(n); math.Abs(mean-6000) > 1 {
		t.Errorf("mean over the curve: got %.1f W, want 6000 W (base)", mean)
	}
	peakAt := start.Add(time.Duration(minCurveSamples/4) * 5 * time.Minute)
	if got, want := m.LoadAt(peakAt), 6000*1.5/(0.5+1.0/minCurveSamples); math.Abs(got-want) > 1e-6 {
		t.Errorf("at the curve's step: got %.1f W, want %.1f W", got, want)
	}
	if other := NewCurveModel(6000, 8, cs); other.Offset == m.Offset {
		t.Errorf("seeds 7 and 8: got the same offset %v, want each rack its own point of the curve", m.Offset)
	}
}

// TestSiteRacksReplayCurves: a site given curves runs every rack on one of
// them, at the site's level of its budget on average.
func TestSiteRacksReplayCurves(t *testing.T) {
	cs, err := ParseCurves(strings.NewReader(curveCSV(300, ramp(minCurveSamples)...)))
	if err != nil {
		t.Fatal(err)
	}
	site, err := StartSite(t.Context(), SiteConfig{Site: inventory.Reference(2), Community: "c", Level: 0.5, Curves: cs})
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	for id, r := range site.racks {
		if r.model.Curve != cs[0] {
			t.Errorf("rack %s: got curve %v, want the one given", id, r.model.Curve)
		}
	}
}
