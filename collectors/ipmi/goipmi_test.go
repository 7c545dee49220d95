package ipmi

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi/ipmitest"
)

// The DCMI answers goBMC can give.
const (
	dcmiActive   = iota // 412 W now, 380–455 W, 401 W on average over 60 s
	dcmiInactive        // power measurement not active
	dcmiMissing         // completion code C1h: invalid command
)

// goBMC is a go-ipmi reference BMC serving ServerSensors' SDR plus a
// whole-server power sensor, with DCMI in the mode the test sets.
type goBMC struct {
	*ipmitest.Server
	dcmi      atomic.Int32 // dcmiActive…
	dcmiAsked atomic.Int32
	readings  ipmitest.Readings
}

// sysPower is the whole-server power sensor goBMC adds: 4 W per count,
// on the system board.
var sysPower = ipmitest.Sensor{Number: 0x60, Name: "Sys Power", EntityID: 7, Instance: 1, Type: 0x0b, Unit: 6, M: 4, Raw: 140}

func startGoBMC(t *testing.T) *goBMC {
	t.Helper()
	return startGoBMCWith(t, append(ipmitest.ServerSensors(), sysPower))
}

// startGoBMCWith is startGoBMC with another SDR.
func startGoBMCWith(t *testing.T, sensors []ipmitest.Sensor) *goBMC {
	t.Helper()
	b := &goBMC{}
	for _, s := range sensors {
		if s.Discrete {
			b.readings.Set(s.Number, 0x00, 0xc0, s.Raw, 0x00)
		} else {
			b.readings.Set(s.Number, s.Raw, 0xc0, 0x00, 0x00)
		}
	}
	b.Server = ipmitest.StartServer(t, ipmitest.ServerConfig{
		SDR: sensors,
		Handlers: map[types.Command]ipmitest.Handler{
			types.CommandGetSensorReading:    b.readings.Handler,
			types.CommandGetDCMIPowerReading: b.power,
		},
	})
	return b
}

func (b *goBMC) power([]byte) ([]byte, types.CompletionCode) {
	b.dcmiAsked.Add(1)
	switch b.dcmi.Load() {
	case dcmiInactive:
		return ipmitest.DCMIPower(0, 0, 0, 0, 0, false), types.CodeOK
	case dcmiMissing:
		return nil, types.CodeInvalidCommand
	}
	return ipmitest.DCMIPower(412, 380, 455, 401, 60_000, true), types.CodeOK
}

func goTarget(addr string) Target {
	return Target{Address: addr, User: ipmitest.User, Password: NewPassword(ipmitest.Password), Timeout: time.Second}
}

// TestGoIPMIServer polls go-ipmi's reference BMC over cipher suite 17 (the
// default): DCMI where it answers, the SDR where it does not.
func TestGoIPMIServer(t *testing.T) {
	b := startGoBMC(t)
	if *update {
		rec := captureReport(t, goTarget(b.Addr))
		rec.write(t, "goipmi_dcmi.txt", "Captured from go-ipmi's reference BMC (pkg/server, v0.9.1) over cipher suite 17,",
			"with the DCMI and Get Sensor Reading handlers of goipmi_test.go; by go test -run TestGoIPMIServer -update.")
		b.dcmi.Store(dcmiInactive)
		rec = captureReport(t, goTarget(b.Addr))
		rec.write(t, "goipmi_dcmi_inactive.txt", "As goipmi_dcmi.txt, with the DCMI handler saying that power measurement is not active.")
		b.dcmi.Store(dcmiActive)
	}
	c, err := NewCollector(goTarget(b.Addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("suite 17, DCMI", func(t *testing.T) {
		r := report(t, c)
		if r.CipherSuite != Suite17 || r.DCMI != "supported" {
			t.Errorf("got suite %d, DCMI %q, want 17 and supported", r.CipherSuite, r.DCMI)
		}
		for m, want := range map[collectors.Metric]float64{collectors.PowerWatts: 412, collectors.PowerMinWatts: 380,
			collectors.PowerMaxWatts: 455, collectors.PowerAverageWatts: 401, collectors.PowerWindowSeconds: 60} {
			if got, ok := find(r.Readings, m, collectors.ScopeDevice, 0); !ok || got != want {
				t.Errorf("%s: got %v (found %v), want %v", m, got, ok, want)
			}
		}
		// The SDR is read beside DCMI: PSUs and temperatures.
		if got, _ := find(r.Readings, collectors.PowerWatts, collectors.ScopePSU, 1); got != 300 {
			t.Errorf("PSU 1 power: got %v, want 300", got)
		}
		if r.Device == nil || r.Device.ManufacturerID != 0x1c4c || r.Device.Firmware != "2.15" {
			t.Errorf("device: got %+v, want manufacturer 0x1c4c, firmware 2.15", r.Device)
		}
		// DCMI's power is in whole watts: a poll says so.
		if got, ok := findReading(c.Poll(ctxFor(t)).Readings, collectors.PowerResolutionWatts, collectors.ScopeDevice, 0); !ok || got != 1 {
			t.Errorf("server power resolution: got %v (found %v), want 1 W (DCMI)", got, ok)
		}
	})

	t.Run("DCMI not active: the SDR's server power", func(t *testing.T) {
		b.dcmi.Store(dcmiInactive)
		defer b.dcmi.Store(dcmiActive)
		r := report(t, c)
		if got, _ := find(r.Readings, collectors.PowerWatts, collectors.ScopeDevice, 0); got != 560 {
			t.Errorf("server power: got %v, want 560 (Sys Power)", got)
		}
		if _, ok := find(r.Readings, collectors.PowerAverageWatts, collectors.ScopeDevice, 0); ok {
			t.Errorf("average power reported while DCMI says its measurement is not active")
		}
	})

	t.Run("no DCMI: asked once per session", func(t *testing.T) {
		b.dcmi.Store(dcmiMissing)
		defer b.dcmi.Store(dcmiActive)
		c, err := NewCollector(goTarget(b.Addr), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := b.dcmiAsked.Load()
		for range 3 {
			st := c.Poll(ctxFor(t))
			if v, _ := findReading(st.Readings, collectors.PowerWatts, collectors.ScopeDevice, 0); !st.OK || v != 560 {
				t.Fatalf("got OK=%v server power %v (%s), want 560 from the SDR", st.OK, v, st.Err)
			}
		}
		if got := b.dcmiAsked.Load() - before; got != 1 {
			t.Errorf("DCMI asked %d times in 3 polls, want once", got)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			change func(*Target)
			reason string
		}{
			{"wrong password", func(t *Target) { t.Password = NewPassword("not-the-password") }, ReasonAuth},
			{"unknown user", func(t *Target) { t.User = "nobody" }, ReasonAuth},
			{"suite 3 to a BMC of suite 17 only", func(t *Target) { t.CipherSuite = Suite3 }, ReasonProtocol},
		} {
			t.Run(tt.name, func(t *testing.T) {
				target := goTarget(b.Addr)
				tt.change(&target)
				start := time.Now()
				_, err := Dial(ctxFor(t), target)
				if Reason(err) != tt.reason || time.Since(start) > target.Timeout {
					t.Errorf("got %q after %v (%v), want %q within %v", Reason(err), time.Since(start), err, tt.reason, target.Timeout)
				}
				if err != nil && strings.Contains(err.Error(), "not-the-password") {
					t.Errorf("error %q shows the password", err)
				}
			})
		}
	})
}

func findReading(rs []collectors.Reading, m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
	for _, r := range rs {
		if r.Metric == m && r.Scope == s && r.Index == i {
			return r.Value, true
		}
	}
	return 0, false
}
