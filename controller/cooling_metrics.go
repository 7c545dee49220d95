package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// coolingMetrics exports each row's cooling and the temperatures at its
// racks' inlets: what the row cooling dashboard shows.
type coolingMetrics struct {
	rowCapacity, rowNPlus1               *prometheus.Desc
	unitCapacity, unitStale, unitRunning *prometheus.Desc
	unitOutput, unitInlet, rackInlet     *prometheus.Desc
}

func newCoolingMetrics() coolingMetrics {
	row, unit := []string{"hall", "row"}, []string{"hall", "row", "unit"}
	d := prometheus.NewDesc
	return coolingMetrics{
		rowCapacity: d("dcplane_row_cooling_capacity_watts", "Sum of the capacities of a row's cooling units, from the inventory. Absent for a row without cooling units.", row, nil),
		rowNPlus1: d("dcplane_row_cooling_n_plus_1_watts",
			"A row's N+1 cooling capacity: its cooling units' capacity less its largest unit's, the IT load it may carry and survive a unit's failure. Absent for a row without cooling units.", row, nil),
		unitCapacity: d("dcplane_cooling_unit_capacity_watts", "A cooling unit's capacity, from the inventory.", unit, nil),
		unitStale:    d("dcplane_cooling_unit_telemetry_stale", "1 if a cooling unit's telemetry is stale (it may have failed), 0 if fresh.", unit, nil),
		unitRunning:  d("dcplane_cooling_unit_running", "1 if a cooling unit says it runs, 0 if it says it is off. Absent while unknown: stale, or the unit does not say.", unit, nil),
		unitOutput:   d("dcplane_cooling_unit_output_watts", "Heat a cooling unit removes, as it reports it. Absent while unknown.", unit, nil),
		unitInlet: d("dcplane_cooling_unit_inlet_temperature_celsius",
			"Hottest of a cooling unit's rack inlet sensors. Absent while unknown: stale, or no such sensor.", unit, nil),
		rackInlet: d("dcplane_rack_inlet_temperature_celsius",
			"Hottest inlet temperature probe of a rack's PDUs. Absent while unknown: some PDU of the rack stale, or none has a probe.", []string{"hall", "row", "rack"}, nil),
	}
}

func (m coolingMetrics) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.rowCapacity, m.rowNPlus1, m.unitCapacity, m.unitStale, m.unitRunning, m.unitOutput, m.unitInlet, m.rackInlet} {
		ch <- d
	}
}

// collect exports the cooling of every row of site, the units' readings
// from t at now, and the racks' inlets as devices knows them.
func (m coolingMetrics) collect(ch chan<- prometheus.Metric, site *inventory.Site, devices map[string]alerts.Device, t alerts.Telemetry, now time.Time) {
	for hi := range site.Halls {
		h := &site.Halls[hi]
		for ri := range h.Rows {
			r := &h.Rows[ri]
			m.collectRow(ch, h, r, devices, t, now)
			for ki := range r.Racks {
				if c, ok := rackInlet(&r.Racks[ki], devices); ok {
					gauge(ch, m.rackInlet, c, h.ID, r.ID, r.Racks[ki].ID)
				}
			}
		}
	}
}

func (m coolingMetrics) collectRow(ch chan<- prometheus.Metric, h *inventory.Hall, r *inventory.Row, devices map[string]alerts.Device, t alerts.Telemetry, now time.Time) {
	if len(r.Cooling) == 0 {
		return
	}
	var total, largest float64
	for i := range r.Cooling {
		u := &r.Cooling[i]
		w := u.CapacityWatts()
		total, largest = total+w, max(largest, w)
		gauge(ch, m.unitCapacity, w, h.ID, r.ID, u.ID)
		d := devices[u.ID]
		stale := 1.0
		if d.Fresh {
			stale = 0
			if v, ok := latest(t, u.ID, collectors.UnitRunning, now); ok {
				gauge(ch, m.unitRunning, v, h.ID, r.ID, u.ID)
			}
			if v, ok := latest(t, u.ID, collectors.CoolingOutputWatts, now); ok {
				gauge(ch, m.unitOutput, v, h.ID, r.ID, u.ID)
			}
			if c, ok := hottest(d.InletCelsius); ok {
				gauge(ch, m.unitInlet, c, h.ID, r.ID, u.ID)
			}
		}
		gauge(ch, m.unitStale, stale, h.ID, r.ID, u.ID)
	}
	gauge(ch, m.rowCapacity, total, h.ID, r.ID)
	gauge(ch, m.rowNPlus1, total-largest, h.ID, r.ID)
}

// rackInlet is the hottest probe of a rack's PDUs, as the inlet rule
// judges it: unknown when some PDU is stale or none has a probe.
func rackInlet(k *inventory.Rack, devices map[string]alerts.Device) (float64, bool) {
	var temps []float64
	for i := range k.PDUs {
		d := devices[k.PDUs[i].ID]
		if !d.Fresh {
			return 0, false
		}
		temps = append(temps, d.InletCelsius...)
	}
	return hottest(temps)
}

// hottest is the highest finite value of temps; false when there is none.
func hottest(temps []float64) (float64, bool) {
	var hot float64
	ok := false
	for _, c := range temps {
		if finite(c) && (!ok || c > hot) {
			hot, ok = c, true
		}
	}
	return hot, ok
}

// latest is a device-scope reading of a fresh device.
func latest(t alerts.Telemetry, device string, m collectors.Metric, now time.Time) (float64, bool) {
	s, ok := t.Latest(telemetry.Key{Device: device, Metric: m, Scope: collectors.ScopeDevice}, now)
	if !ok || !finite(s.Value) {
		return 0, false
	}
	return s.Value, true
}
