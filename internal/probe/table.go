package probe

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
)

// WriteReadings writes one line per reading: scope, index, metric, value
// with its unit.
func WriteReadings(w io.Writer, rs []collectors.Reading) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tINDEX\tMETRIC\tVALUE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Scope, index(r), r.Metric, Value(r))
	}
	return tw.Flush()
}

// WriteIPMI writes one line per reading of a BMC: scope, index, metric,
// value with its unit, and the sensor (or DCMI) it came from.
func WriteIPMI(w io.Writer, fs []ipmi.Found) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tINDEX\tMETRIC\tVALUE\tSOURCE")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Scope, index(f.Reading), f.Metric, Value(f.Reading), f.Source)
	}
	return tw.Flush()
}

// index is r's index as a table shows it: "-" for the device itself.
func index(r collectors.Reading) string {
	if r.Scope == collectors.ScopeDevice {
		return "-"
	}
	return strconv.Itoa(r.Index)
}

// Unit is the unit shown after a value of metric m ("" for a ratio).
func Unit(m collectors.Metric) string {
	switch m {
	case collectors.PowerWatts, collectors.CoolingOutputWatts, collectors.PowerMinWatts,
		collectors.PowerMaxWatts, collectors.PowerAverageWatts, collectors.PowerResolutionWatts:
		return "W"
	case collectors.PowerWindowSeconds:
		return "s"
	case collectors.ApparentPowerVA:
		return "VA"
	case collectors.CurrentAmperes:
		return "A"
	case collectors.VoltageVolts:
		return "V"
	case collectors.EnergyJoules:
		return "J"
	case collectors.TemperatureCelsius, collectors.SupplyAirCelsius, collectors.ReturnAirCelsius:
		return "°C"
	case collectors.HumidityPercent, collectors.FanSpeedPercent:
		return "%"
	}
	return ""
}

// Value formats a reading's value with its unit; energy also in kWh.
func Value(r collectors.Reading) string {
	s := strconv.FormatFloat(r.Value, 'f', -1, 64)
	if u := Unit(r.Metric); u != "" {
		s += " " + u
	}
	if r.Metric == collectors.EnergyJoules {
		s += " (" + strconv.FormatFloat(r.Value/3.6e6, 'f', 1, 64) + " kWh)"
	}
	return s
}
