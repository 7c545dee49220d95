package power

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// BenchmarkCompute measures the accounting behind every /v1/racks,
// /v1/power and /metrics answer, for the 460-rack reference site.
func BenchmarkCompute(b *testing.B) {
	site := inventory.Reference(inventory.ReferenceRacks)
	tel := fakeTelemetry{power: map[string]float64{}}
	budgets := mapBudgets{}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		budgets[k.ID] = k.BudgetWatts()
		for _, p := range k.PDUs {
			tel.power[p.ID] = 5000
		}
		return true
	})
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		Compute(site, budgets, tel, now)
	}
}

// mapBudgets looks budgets up in a map, as the state view does.
type mapBudgets map[string]float64

func (m mapBudgets) RackBudgetWatts(id string) float64 { return m[id] }
