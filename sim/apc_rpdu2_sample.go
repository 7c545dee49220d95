package sim

import "time"

// pduSample is one set of readings of a RackPDU, already scaled to the
// rPDU2 MIB's units: H hundredths (of kW, kVA, PF), D tenths of A, T tenths
// of kWh. A sample is never modified once made.
type pduSample struct {
	watts                 float64 // unrounded input power
	powerH, apparentH, pf int
	peakH                 int
	peakAt                string
	energyT, state        int
	phases                []phaseSample
	banks                 []bankSample
	outlets               []outletSample
	tempC, humidity       float64
}

type phaseSample struct {
	currentD, powerH, apparentH, state, peakD int
	peakAt                                    string
}

type bankSample struct {
	currentD, state, peakD int
	peakAt                 string
}

type outletSample struct {
	watts, currentD, peakW, energyT int
	peakAt                          string
}

// pduWeights says how a PDU's load spreads over its outlets, banks and
// phases; it is fixed for the life of the PDU.
type pduWeights struct {
	outlet    []float64 // share of each outlet, before normalising
	bank      []float64
	bankPhase []int // phase of each bank, 0-based
	phase     []float64
}

// newPDUWeights spreads the outlets evenly over the banks and the banks
// over the phases, each outlet drawing a different but fixed share.
func newPDUWeights(c RackPDUConfig) pduWeights {
	w := pduWeights{outlet: make([]float64, c.Outlets), bank: make([]float64, c.Banks),
		bankPhase: make([]int, c.Banks), phase: make([]float64, c.Phases)}
	for o := range w.outlet {
		w.outlet[o] = spread(c.Name, o, 0.6, 1.4)
	}
	for b := range w.bank {
		w.bankPhase[b] = b * c.Phases / c.Banks
		if c.Outlets == 0 {
			w.bank[b] = spread(c.Name, 1000+b, 0.8, 1.2)
		}
	}
	for o, ow := range w.outlet {
		switch {
		case c.Banks > 0:
			w.bank[o*c.Banks/c.Outlets] += ow
		default:
			w.phase[o*c.Phases/c.Outlets] += ow
		}
	}
	for b, bw := range w.bank {
		w.phase[w.bankPhase[b]] += bw
	}
	if c.Banks == 0 && c.Outlets == 0 {
		for i := range w.phase {
			w.phase[i] = spread(c.Name, 2000+i, 0.9, 1.1)
		}
	}
	return w
}

// peak is the highest reading so far and when it was seen.
type peak struct {
	v  int
	at string
}

func (pk *peak) update(v int, now time.Time) int {
	if v > pk.v {
		pk.v, pk.at = v, now.Format(apcTime)
	}
	return pk.v
}

type pduPeaks struct {
	device                 peak
	phases, banks, outlets []peak
}

func newPDUPeaks(c RackPDUConfig, start time.Time) pduPeaks {
	at := start.Format(apcTime)
	fill := func(n int) []peak {
		out := make([]peak, n)
		for i := range out {
			out[i].at = at
		}
		return out
	}
	return pduPeaks{device: peak{at: at}, phases: fill(c.Phases), banks: fill(c.Banks), outlets: fill(c.Outlets)}
}

// compute makes the sample for an input power; p.mu must be held.
func (p *RackPDU) compute(watts float64, now time.Time) *pduSample {
	c := p.cfg
	s := &pduSample{watts: watts, pf: round(c.PowerFactor * 100), powerH: round(watts / 10)}
	s.apparentH = round(watts / (float64(s.pf) / 100) / 10)
	s.energyT = int(p.energyWh / 100)
	s.peakH = p.peaks.device.update(s.powerH, now)
	s.peakAt = p.peaks.device.at
	p.computePhases(s, now)
	p.computeBanks(s, now)
	p.computeOutlets(s, now)
	for _, ph := range s.phases {
		s.state = max(s.state, ph.state)
	}
	s.tempC, s.humidity = 24, 40
	if pr := c.Probe; pr != nil && pr.TempC != nil {
		s.tempC = pr.TempC()
	}
	if pr := c.Probe; pr != nil && pr.HumidityPct != nil {
		s.humidity = pr.HumidityPct()
	}
	return s
}

// ampsD is the current in tenths of an ampere that carries watts at the
// PDU's voltage and power factor, both as the MIB shows them.
func (p *RackPDU) ampsD(watts float64, pf int) int {
	return round(watts / (float64(round(p.cfg.Voltage)) * float64(pf) / 100) * 10)
}

func (p *RackPDU) computePhases(s *pduSample, now time.Time) {
	w := p.w.phase
	powers, apparents := apportion(s.powerH, w), apportion(s.apparentH, w)
	total := sum(w)
	s.phases = make([]phaseSample, len(w))
	for i := range s.phases {
		ph := &s.phases[i]
		ph.powerH, ph.apparentH = powers[i], apparents[i]
		ph.currentD = p.ampsD(s.watts*w[i]/total, s.pf)
		ph.state = loadState(ph.currentD, p.cfg.BreakerAmps)
		ph.peakD = p.peaks.phases[i].update(ph.currentD, now)
		ph.peakAt = p.peaks.phases[i].at
	}
}

// computeBanks splits each phase's current over the banks it feeds.
func (p *RackPDU) computeBanks(s *pduSample, now time.Time) {
	s.banks = make([]bankSample, len(p.w.bank))
	for ph := range s.phases {
		var idx []int
		var w []float64
		for b, bp := range p.w.bankPhase {
			if bp == ph {
				idx, w = append(idx, b), append(w, p.w.bank[b])
			}
		}
		for k, cur := range apportion(s.phases[ph].currentD, w) {
			b := idx[k]
			s.banks[b] = bankSample{currentD: cur, state: loadState(cur, p.cfg.BankBreakerAmps)}
			s.banks[b].peakD = p.peaks.banks[b].update(cur, now)
			s.banks[b].peakAt = p.peaks.banks[b].at
		}
	}
}

// computeOutlets splits the input power, in whole watts, over the outlets.
func (p *RackPDU) computeOutlets(s *pduSample, now time.Time) {
	w := p.w.outlet
	total := sum(w)
	s.outlets = make([]outletSample, len(w))
	for o, watts := range apportion(round(s.watts), w) {
		share := w[o] / total
		out := &s.outlets[o]
		out.watts, out.currentD = watts, p.ampsD(s.watts*share, s.pf)
		out.energyT = int(p.energyWh * share / 100)
		out.peakW = p.peaks.outlets[o].update(watts, now)
		out.peakAt = p.peaks.outlets[o].at
	}
}

// loadState grades a current, in tenths of A, against a breaker rating as
// rPDU2's thresholds do: overload at the rating, near overload at 80 %.
// The low-load threshold is 0 A, so a PDU never reports lowLoad.
func loadState(currentD, breakerA int) int {
	switch {
	case currentD >= breakerA*10:
		return loadOverload
	case currentD >= round(0.8*float64(breakerA))*10:
		return loadNearOverload
	}
	return loadNormal
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}
