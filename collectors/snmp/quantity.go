package snmp

import (
	"math"
	"strings"

	"github.com/dcplane/dcplane/collectors"
)

// quantity is the physical kind of a metric, which decides the units a
// value may come in and the values it may take.
type quantity int

const (
	qOther       quantity = iota
	qTemperature          // °C, or °F converted
	qPower                // W, or kW
	qPercent              // %
	qCurrent              // A, or mA
	qVoltage              // V, or mV
	qEnergy               // J, Wh, kWh
	qRatio                // 0…1
)

// quantityOf returns the quantity metric m measures.
func quantityOf(m collectors.Metric) quantity {
	switch m {
	case collectors.TemperatureCelsius, collectors.SupplyAirCelsius, collectors.ReturnAirCelsius:
		return qTemperature
	case collectors.PowerWatts, collectors.CoolingOutputWatts, collectors.ApparentPowerVA:
		return qPower
	case collectors.HumidityPercent, collectors.FanSpeedPercent, collectors.LoadPercent, collectors.BatteryChargePercent:
		return qPercent
	case collectors.CurrentAmperes, collectors.RatedCurrentAmperes, collectors.NearOverloadAmperes:
		return qCurrent
	case collectors.VoltageVolts, collectors.VoltageLineToLineVolts:
		return qVoltage
	case collectors.EnergyJoules:
		return qEnergy
	case collectors.PowerFactorRatio:
		return qRatio
	}
	return qOther
}

// toBase converts v, in units (as a device writes them: "kW", "°C",
// "deg F", "%RH"…), to the quantity's base unit. It reports whether it
// converted from °F, and false when the units do not fit the quantity.
func toBase(q quantity, units string, v float64) (base float64, fahrenheit, ok bool) {
	u := strings.ToLower(strings.Join(strings.Fields(units), ""))
	u = strings.TrimPrefix(strings.TrimPrefix(u, "°"), "deg")
	switch {
	case q == qTemperature && u == "c":
		return v, false, true
	case q == qTemperature && u == "f":
		return math.Round((v-32)*5/9*100) / 100, true, true
	case q == qPower && (u == "w" || u == "va"):
		return v, false, true
	case q == qPower && (u == "kw" || u == "kva"):
		return v * 1000, false, true
	case q == qPercent && (u == "%" || u == "%rh" || u == "rh"):
		return v, false, true
	case q == qCurrent && u == "a":
		return v, false, true
	case q == qCurrent && u == "ma":
		return v / 1000, false, true
	case q == qVoltage && u == "v":
		return v, false, true
	case q == qEnergy && u == "kwh":
		return v * 3.6e6, false, true
	case q == qEnergy && u == "wh":
		return v * 3600, false, true
	case q == qOther:
		return v, false, true
	}
	return 0, false, false
}

// Bounds beyond which a value is no real reading of a rack-level device:
// a unit mistake or garbage, never a measurement.
const (
	maxPlausibleWatts   = 2e6  // 2 MW: more than a whole UPS of a 7 MW hall's row
	maxPlausibleAmperes = 4000 // A
	maxPlausibleVolts   = 1000 // V
	maxPlausibleCelsius = 200  // °C
)

// plausible returns why v (raw as the device sent it) is not a reading of
// metric m, or "" when it is: only temperatures go below zero, percentages
// stop at 100 and power factors at 1, and nothing reaches the bounds above.
func plausible(m collectors.Metric, raw, v float64) string {
	q := quantityOf(m)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return RejectImpossible
	case v < 0 && q != qTemperature && m != collectors.UnitRunning:
		return RejectNegative
	case (q == qPercent && v > 100) || (q == qRatio && v > 1):
		return RejectRange
	case q == qPower && v > maxPlausibleWatts, q == qCurrent && v > maxPlausibleAmperes,
		q == qVoltage && v > maxPlausibleVolts, q == qTemperature && (v > maxPlausibleCelsius || v < -100):
		return RejectImpossible
	}
	_ = raw
	return ""
}
