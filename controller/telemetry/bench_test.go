package telemetry

import (
	"fmt"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// BenchmarkIngest measures how fast the leader takes polls of a PDU with
// its device and three phases' readings (16 series) into the window.
func BenchmarkIngest(b *testing.B) {
	const devices = 920
	w := New(DefaultSamples, time.Minute)
	var readings []collectors.Reading
	for _, m := range []collectors.Metric{collectors.PowerWatts, collectors.ApparentPowerVA, collectors.PowerFactorRatio, collectors.EnergyJoules} {
		readings = append(readings, collectors.Reading{Metric: m, Scope: collectors.ScopeDevice, Value: 1})
	}
	for ph := 1; ph <= 3; ph++ {
		for _, m := range []collectors.Metric{collectors.PowerWatts, collectors.CurrentAmperes, collectors.VoltageVolts, collectors.PowerFactorRatio} {
			readings = append(readings, collectors.Reading{Metric: m, Scope: collectors.ScopePhase, Index: ph, Value: 1})
		}
	}
	ids := make([]string, devices)
	for i := range ids {
		ids[i] = fmt.Sprintf("pdu-%d", i)
	}
	t0 := time.Now()
	polls := make([]collectors.Status, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		polls[0] = collectors.Status{Device: ids[i%devices], At: at, OK: true, Readings: readings}
		w.Ingest(polls, at)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "polls/s")
}
