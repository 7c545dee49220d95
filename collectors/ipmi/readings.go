package ipmi

import (
	"errors"
	"fmt"
	"sort"

	"github.com/dcplane/dcplane/collectors"
)

// answer is what the BMC said to one request: its data, or an error (a
// *CompletionError, for the answers assemble sees).
type answer struct {
	data []byte
	err  error
}

// Found is one reading and where it came from.
type Found struct {
	collectors.Reading
	Source string `json:"source"`
	// Resolution is the step of Value in its unit: a sensor's M × 10^R (its
	// reading counts in those steps), 1 for DCMI's whole watts, the sum of
	// the steps summed for the PSUs' sum; 0 when there is none to state.
	// The reading may be off by half of it.
	Resolution float64 `json:"resolution,omitempty"`
}

// readings are what a poll found, for the controller: each reading, and
// after them the resolution of each power reading that has one
// (collectors.PowerResolutionWatts at its scope and index), so that the
// cross-check does not claim a disagreement finer than the readings.
func readings(found []Found) []collectors.Reading {
	out := make([]collectors.Reading, 0, len(found))
	var res []collectors.Reading
	for _, f := range found {
		out = append(out, f.Reading)
		if f.Metric == collectors.PowerWatts && f.Resolution > 0 {
			res = append(res, collectors.Reading{Metric: collectors.PowerResolutionWatts, Scope: f.Scope, Index: f.Index, Value: f.Resolution})
		}
	}
	return append(out, res...)
}

// Unknown is a value a poll looked for and did not get, and why. It is
// left out of the readings: unknown, never zero.
type Unknown struct {
	Source string `json:"source"`
	Why    string `json:"why"`
}

// dcmiResolution is the step of DCMI's power figures: whole watts (DCMI
// v1.5 §6.6.1).
const dcmiResolution = 1

// Sources of the readings that come from no single sensor.
const (
	sourceDCMI   = "DCMI power reading"
	sourcePSUSum = "sum of the PSUs' input power"
	sourceServer = "server input power"
)

// assemble turns one poll's answers into readings (pure). power answers
// DCMI Get Power Reading; nil means it was not asked (the BMC does not
// support DCMI). sensors[i] answers p.sensors[i].
//
// The server's input power (PowerWatts at ScopeDevice) comes from DCMI when
// it answers; otherwise from a whole-server power sensor of the SDR;
// otherwise from the sum of the PSUs' input power, when every PSU's is
// known (a PSU that says it is absent draws nothing).
func assemble(p plan, power *answer, sensors []answer) ([]Found, []Unknown) {
	var found []Found
	var unknown []Unknown
	dcmi := false
	if power != nil {
		pr, err := powerReading(*power)
		if err != nil {
			unknown = append(unknown, Unknown{sourceDCMI, err.Error()})
		} else {
			found = append(found, pr...)
			dcmi = true
		}
	}
	var t tally
	for i, s := range p.sensors {
		f, err := sensorReadings(s, sensors[i])
		if err != nil {
			unknown = append(unknown, Unknown{s.source(), err.Error()})
		}
		found = append(found, f...)
		t.add(s, f)
	}
	if !dcmi {
		f, u := t.serverPower()
		found = append(f, found...)
		unknown = append(unknown, u...)
	}
	return found, unknown
}

// powerReading turns a DCMI answer into the server's readings.
func powerReading(a answer) ([]Found, error) {
	if a.err != nil {
		return nil, a.err
	}
	pr, err := parsePowerReading(a.data)
	if err != nil {
		return nil, err
	}
	dev := func(m collectors.Metric, v float64) Found {
		return Found{collectors.Reading{Metric: m, Scope: collectors.ScopeDevice, Value: v}, sourceDCMI, dcmiResolution}
	}
	out := []Found{dev(collectors.PowerWatts, pr.Current), dev(collectors.PowerMinWatts, pr.Min),
		dev(collectors.PowerMaxWatts, pr.Max), dev(collectors.PowerAverageWatts, pr.Average)}
	if pr.Window > 0 {
		out = append(out, Found{collectors.Reading{Metric: collectors.PowerWindowSeconds, Scope: collectors.ScopeDevice, Value: pr.Window.Seconds()}, sourceDCMI, 0})
	}
	return out, nil
}

// sensorReadings turns one sensor's answer into its readings.
func sensorReadings(s sdrSensor, a answer) ([]Found, error) {
	if a.err != nil {
		return nil, a.err
	}
	at := func(m collectors.Metric, v float64) Found {
		return Found{Reading: collectors.Reading{Metric: m, Scope: s.Scope, Index: s.Index, Value: v}, Source: s.source()}
	}
	if s.psuState {
		states, err := s.psuStates(a.data)
		if err != nil {
			return nil, err
		}
		var out []Found
		for _, m := range []collectors.Metric{collectors.PSUPresent, collectors.PSUInputOK, collectors.PSUHealthy} {
			if v, ok := states[m]; ok {
				out = append(out, at(m, v))
			}
		}
		return out, nil
	}
	v, err := s.value(a.data)
	if err != nil {
		return nil, err
	}
	f := at(s.Metric, v)
	f.Resolution = s.step(a.data[0]) // value decoded it: the answer has its count
	return []Found{f}, nil
}

// source names a sensor for people: number, name and entity, as ipmitool
// shows them.
func (s sdrSensor) source() string {
	return fmt.Sprintf("sensor %s %q (%s)", hexByte(s.Number), s.Name, s.Entity)
}

// tally gathers, over one poll, what the server's input power can be made
// of when DCMI does not give it.
type tally struct {
	device       *Found           // the first whole-server power sensor that answered
	psuPower     map[int]*float64 // PSU index → input power; nil value: unknown
	psuStep      map[int]float64  // PSU index → its power reading's step
	psuAbsent    map[int]bool     // PSUs that say they are not present
	psuPowerName map[int]string   // PSU index → its power sensor, for Unknown
}

func (t *tally) add(s sdrSensor, found []Found) {
	if t.psuPower == nil {
		t.psuPower, t.psuStep, t.psuAbsent, t.psuPowerName = map[int]*float64{}, map[int]float64{}, map[int]bool{}, map[int]string{}
	}
	switch {
	case s.deviceLevel && s.Scope != collectors.ScopePSU:
		if len(found) == 1 && t.device == nil {
			f := found[0]
			t.device = &f
		}
	case s.Scope == collectors.ScopePSU && s.Metric == collectors.PowerWatts:
		t.psuPowerName[s.Index] = s.source()
		t.psuPower[s.Index] = nil
		if len(found) == 1 {
			v := found[0].Value
			t.psuPower[s.Index], t.psuStep[s.Index] = &v, found[0].Resolution
		}
	case s.psuState:
		for _, f := range found {
			if f.Metric == collectors.PSUPresent && f.Value == 0 {
				t.psuAbsent[s.Index] = true
			}
		}
	}
}

// serverPower is the server's input power without DCMI.
func (t *tally) serverPower() ([]Found, []Unknown) {
	if t.device != nil {
		return []Found{{collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: t.device.Value}, t.device.Source, t.device.Resolution}}, nil
	}
	if len(t.psuPower) == 0 {
		return nil, []Unknown{{sourceServer, "no DCMI power reading, and the SDR has no server or PSU input power sensor that answered"}}
	}
	idx := make([]int, 0, len(t.psuPower))
	for i := range t.psuPower {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	sum, step := 0.0, 0.0
	for _, i := range idx {
		switch v := t.psuPower[i]; {
		case v != nil:
			sum += *v
			step += t.psuStep[i]
		case t.psuAbsent[i]:
			// An absent PSU draws nothing: its state sensor says so.
		default:
			return nil, []Unknown{{sourceServer, fmt.Sprintf("PSU %d's input power is unknown (%s)", i, t.psuPowerName[i])}}
		}
	}
	return []Found{{collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: sum}, sourcePSUSum, step}}, nil
}

// isNoReading reports whether err only says that a value is unknown (a
// completion code, or a sensor without a reading), as opposed to the
// session failing.
func isNoReading(err error) bool {
	var ce *CompletionError
	return errors.As(err, &ce) || errors.Is(err, errNoReading)
}
