package sim

import (
	"context"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// TestSitePDUEnergyMeter checks the energy meter of a simulated site's
// PDU, in the rPDU2 MIB's tenths of kWh: it reads what the PDU drew in its
// service before the simulation (never 0 while it draws: issue 10 K), then
// counts up by what the simulation draws, and never goes back.
func TestSitePDUEnergyMeter(t *testing.T) {
	clock := newFakeClock()
	s, err := StartSite(context.Background(), SiteConfig{Site: inventory.Reference(1), Community: "c", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Device("H1-R01-K01-PA")
	if err != nil {
		t.Fatal(err)
	}
	read := func(column int) int {
		t.Helper()
		v, ok := d.View().Get(MustOID(col(rpdu2DevStatus, column, 1)))
		if !ok {
			t.Fatalf("no rPDU2DeviceStatus column %d", column)
		}
		return v.Data.(int)
	}
	const energy, power = 9, 5 // rPDU2DeviceStatusEnergy (0.1 kWh), Power (0.01 kW)
	rack, err := s.Rack("H1-R01-K01")
	if err != nil {
		t.Fatal(err)
	}
	rack.Set(10000) // 10 kW, about 5 kW a feed
	start, powerH := read(energy), read(power)
	if start <= 0 || powerH <= 0 {
		t.Fatalf("at start: got energy %d tenths kWh at %d hundredths kW, want a meter that has run", start, powerH)
	}
	prev := start
	for h := 1; h <= 3; h++ {
		clock.Advance(time.Hour)
		got := read(energy)
		// powerH hundredths of kW held an hour: powerH/10 tenths of kWh.
		if want := start + h*powerH/10; got < want-1 || got > want+1 {
			t.Errorf("after %d h at %d hundredths kW: got %d tenths kWh, want %d ±1", h, powerH, got, want)
		}
		if got <= prev {
			t.Errorf("after %d h: got %d, want more than %d", h, got, prev)
		}
		prev = got
	}
}
