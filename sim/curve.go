package sim

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/dcplane/dcplane/controller/forecast"
)

// Curve is a measured power curve replayed as the shape of a rack's load:
// one PDU's utilisation at a fixed step, divided by its mean (so that a
// rack's LoadModel.Base stays its mean draw), played in a loop. Its day and
// week are the trace's: Google's 2019 PDUs show the daily rise and the
// weekend of the jobs they fed, which a cosine does not.
type Curve struct {
	Name  string        // the trace's PDU, e.g. "pdu6"
	Step  time.Duration // between samples
	shape []float64     // sample / mean; the mean is 1
}

// ErrBadCurve is wrapped by every error about a trace that cannot be
// replayed as a curve.
var ErrBadCurve = errors.New("sim: not a replayable power curve")

// minCurveSamples is the least a curve holds: one day of 5-minute samples.
const minCurveSamples = 288

// ParseCurves reads a trace in the format of Google's 2019 power data
// (`index,time,pdu,measured_power_util`, forecast.ParseTrace) and returns
// a curve per PDU, sorted by name. A PDU's samples must come at one step
// (the first two's) with no gap or reordering, at least a day of them,
// with a positive mean: what is replayed is what was measured, never a
// guess between distant samples.
func ParseCurves(r io.Reader) ([]*Curve, error) {
	byPDU, err := forecast.ParseTrace(r, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCurve, err)
	}
	names := make([]string, 0, len(byPDU))
	for name := range byPDU {
		names = append(names, name)
	}
	sort.Strings(names)
	curves := make([]*Curve, 0, len(names))
	for _, name := range names {
		c, err := newCurve(name, byPDU[name])
		if err != nil {
			return nil, err
		}
		curves = append(curves, c)
	}
	return curves, nil
}

func newCurve(name string, ss []forecast.Sample) (*Curve, error) {
	if len(ss) < minCurveSamples {
		return nil, fmt.Errorf("%w: PDU %s has %d samples, want at least %d (a day at 5 minutes)", ErrBadCurve, name, len(ss), minCurveSamples)
	}
	step := ss[1].At.Sub(ss[0].At)
	if step <= 0 {
		return nil, fmt.Errorf("%w: PDU %s: sample 2 is not after sample 1", ErrBadCurve, name)
	}
	shape := make([]float64, len(ss))
	var sum float64
	for i, s := range ss {
		if i > 0 {
			if d := s.At.Sub(ss[i-1].At); d != step {
				return nil, fmt.Errorf("%w: PDU %s: sample %d comes %v after the one before, want the trace's step %v", ErrBadCurve, name, i+1, d, step)
			}
		}
		shape[i] = s.Value
		sum += s.Value
	}
	mean := sum / float64(len(ss))
	if !(mean > 0) || math.IsInf(mean, 0) {
		return nil, fmt.Errorf("%w: PDU %s: mean utilisation %g, want above 0", ErrBadCurve, name, mean)
	}
	for i := range shape {
		shape[i] /= mean
	}
	return &Curve{Name: name, Step: step, shape: shape}, nil
}

// LoadCurves reads every *.csv of dir with ParseCurves: the curves of all
// its PDUs, in file then name order.
func LoadCurves(dir string) ([]*Curve, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCurve, err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.csv in %s", ErrBadCurve, dir)
	}
	slices.Sort(files)
	var all []*Curve
	for _, f := range files {
		cs, err := loadCurveFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}

func loadCurveFile(path string) ([]*Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cs, err := ParseCurves(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// Len is how long the curve lasts before it repeats.
func (c *Curve) Len() time.Duration { return time.Duration(len(c.shape)) * c.Step }

// At is the curve's value d into it (its start again after Len), eased
// linearly between samples; the last eases back into the first.
func (c *Curve) At(d time.Duration) float64 {
	d %= c.Len()
	if d < 0 {
		d += c.Len()
	}
	i := int(d / c.Step)
	frac := float64(d%c.Step) / float64(c.Step)
	a, b := c.shape[i], c.shape[(i+1)%len(c.shape)]
	return a + (b-a)*frac
}

// NewCurveModel returns a model of mean base watts that replays one of
// curves, chosen by seed, from a point of it also drawn from seed (so that
// racks on the same curve do not rise in step), with the ±3 % minute noise
// of NewLoadModel.
func NewCurveModel(base float64, seed uint64, curves []*Curve) LoadModel {
	c := curves[int(unitHash(seed, math.MaxUint64-2)*float64(len(curves)))]
	shift := time.Duration(unitHash(seed, math.MaxUint64) * float64(c.Len()))
	return LoadModel{Base: base, Curve: c, Offset: shift, Noise: 0.03, Seed: seed}
}
