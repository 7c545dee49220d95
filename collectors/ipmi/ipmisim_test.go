package ipmi

import (
	"context"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bougou/go-ipmi/pkg/rmcpplus"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi/ipmitest"
)

// simTarget is a target of an ipmi_sim BMC. OpenIPMI has no cipher suite
// 17, so suite 3 is asked for explicitly.
func simTarget(addr string) Target {
	return Target{Address: addr, User: ipmitest.User, Password: NewPassword(ipmitest.Password),
		CipherSuite: Suite3, Timeout: time.Second}
}

// countingDial dials real sessions and counts them.
func countingDial(n *atomic.Int32) DialFunc {
	return func(ctx context.Context, t Target) (BMC, error) {
		n.Add(1)
		return Dial(ctx, t)
	}
}

// TestIPMISim polls OpenIPMI's ipmi_sim, whose sensors the test drives
// through files, and checks every value against ipmitool reading the same
// BMC.
func TestIPMISim(t *testing.T) {
	sim := ipmitest.StartSim(t, ipmitest.ServerSensors())
	var dials atomic.Int32
	c, err := NewCollectorWith(simTarget(sim.Addr), nil, countingDial(&dials), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if *update {
		captureSim(t, sim, "ipmi_sim.txt", "both PSUs present, CPU1 Power reading")
	}

	t.Run("values equal ipmitool's", func(t *testing.T) {
		r := report(t, c)
		crossCheck(t, r, sim.SDRReadings(t))
		want := []collectors.Reading{
			{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 540},
			{Metric: collectors.PowerWatts, Scope: collectors.ScopePSU, Index: 1, Value: 300},
			{Metric: collectors.PowerWatts, Scope: collectors.ScopePSU, Index: 2, Value: 240},
		}
		for _, w := range want {
			if got, ok := find(r.Readings, w.Metric, w.Scope, w.Index); !ok || got != w.Value {
				t.Errorf("%s %s %d: got %v (found %v), want %v", w.Metric, w.Scope, w.Index, got, ok, w.Value)
			}
		}
		if !strings.HasPrefix(r.DCMI, "not available") {
			t.Errorf("DCMI: got %q, want not available (ipmi_sim has no DCMI)", r.DCMI)
		}
		// The SDR's PSU Input sensors count 4 W: a poll says so.
		st := c.Poll(ctxFor(t))
		for _, i := range []int{1, 2} {
			if got, ok := findReading(st.Readings, collectors.PowerResolutionWatts, collectors.ScopePSU, i); !ok || got != 4 {
				t.Errorf("PSU %d power resolution: got %v (found %v), want 4 W (the SDR's M)", i, got, ok)
			}
		}
	})

	t.Run("power follows the file", func(t *testing.T) {
		sim.Set(t, ipmitest.FilePSU1Power, 100) // 400 W
		waitIPMItool(t, sim, "PSU1 Input", func(r ipmitest.Reading) bool { return r.Value == 400 })
		r := report(t, c)
		crossCheck(t, r, sim.SDRReadings(t))
		if got, _ := find(r.Readings, collectors.PowerWatts, collectors.ScopeDevice, 0); got != 640 {
			t.Errorf("server input power: got %v, want 640 (400 + 240)", got)
		}
	})

	t.Run("absent PSU is unknown, not zero", func(t *testing.T) {
		sim.Set(t, ipmitest.FilePSU2State, 0)
		defer sim.Set(t, ipmitest.FilePSU2State, 1)
		waitIPMItool(t, sim, "PSU2 Input", func(r ipmitest.Reading) bool { return r.State == "ns" })
		if *update {
			captureSim(t, sim, "ipmi_sim_psu2_absent.txt", "PSU 2 pulled: its power sensor disabled")
		}
		r := report(t, c)
		crossCheck(t, r, sim.SDRReadings(t))
		if v, ok := find(r.Readings, collectors.PowerWatts, collectors.ScopePSU, 2); ok {
			t.Errorf("PSU 2 power: got %v, want unknown (ipmitool: ns)", v)
		}
		if v, ok := find(r.Readings, collectors.PSUPresent, collectors.ScopePSU, 2); !ok || v != 0 {
			t.Errorf("PSU 2 present: got %v (found %v), want 0", v, ok)
		}
		if v, _ := find(r.Readings, collectors.PowerWatts, collectors.ScopeDevice, 0); v != 400 {
			t.Errorf("server input power: got %v, want 400 (PSU 1 alone; PSU 2 says it is absent)", v)
		}
	})

	t.Run("PSU input lost", func(t *testing.T) {
		sim.Set(t, ipmitest.FilePSU2State, 0x09) // present, AC lost
		defer sim.Set(t, ipmitest.FilePSU2State, 1)
		waitIPMItool(t, sim, "PSU2 Input", func(r ipmitest.Reading) bool { return r.State == "ok" })
		waitStates(t, sim, "PSU2 Status", "AC lost")
		if *update {
			captureSim(t, sim, "ipmi_sim_psu2_ac_lost.txt", "PSU 2's input lost (state bits 09h)")
		}
		r := report(t, c)
		for m, want := range map[collectors.Metric]float64{collectors.PSUPresent: 1, collectors.PSUInputOK: 0, collectors.PSUHealthy: 1} {
			if got, ok := find(r.Readings, m, collectors.ScopePSU, 2); !ok || got != want {
				t.Errorf("PSU 2 %s: got %v (found %v), want %v", m, got, ok, want)
			}
		}
	})

	t.Run("one session across polls, closed at the end", func(t *testing.T) {
		before := dials.Load()
		for range 3 {
			if st := c.Poll(ctxFor(t)); !st.OK {
				t.Fatalf("poll: %s", st.Err)
			}
		}
		if got := dials.Load() - before; got != 0 {
			t.Errorf("sessions opened by 3 polls of an open collector: got %d, want 0", got)
		}
		// ipmitool counts its own session too.
		if got := activeSessions(t, sim); got != 2 {
			t.Errorf("active sessions while the collector is open: got %d, want 2", got)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if got := activeSessions(t, sim); got != 1 {
			t.Errorf("active sessions after Close: got %d, want 1 (ipmitool's)", got)
		}
		if st := c.Poll(ctxFor(t)); st.OK || !strings.Contains(st.Err, ErrClosed.Error()) {
			t.Errorf("poll after Close: got OK=%v %q, want %v", st.OK, st.Err, ErrClosed)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		testRefusals(t, sim.Addr)
	})
}

// testRefusals checks that a wrong password, an unknown user and a cipher
// suite ipmi_sim lacks each fail at once with their own reason.
func testRefusals(t *testing.T, addr string) {
	tests := []struct {
		name       string
		change     func(*Target)
		wantReason string
		wantErr    error
	}{
		{"wrong password", func(t *Target) { t.Password = NewPassword("not-the-password") }, ReasonAuth, ErrAuth},
		{"unknown user", func(t *Target) { t.User = "nobody" }, ReasonAuth, ErrAuth},
		// OpenIPMI 2.0.33 knows no SHA-256: it answers "invalid
		// authentication algorithm".
		{"suite 17", func(t *Target) { t.CipherSuite = Suite17 }, ReasonProtocol, ErrSuiteRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := simTarget(addr)
			tt.change(&target)
			c, err := NewCollector(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			st := c.Poll(ctxFor(t))
			took := time.Since(start)
			t.Logf("%s in %v: %s", st.Reason, took, st.Err)
			if st.OK || st.Reason != tt.wantReason {
				t.Errorf("got OK=%v reason %q (%s), want %q", st.OK, st.Reason, st.Err, tt.wantReason)
			}
			if !strings.Contains(st.Err, tt.wantErr.Error()) {
				t.Errorf("error %q does not say %q", st.Err, tt.wantErr)
			}
			if strings.Contains(st.Err, ipmitest.Password) || strings.Contains(st.Err, "not-the-password") {
				t.Errorf("error %q shows a password", st.Err)
			}
			// The BMC answers each refusal: no timeout is waited for.
			if took > target.Timeout {
				t.Errorf("took %v, want less than one request timeout (%v)", took, target.Timeout)
			}
		})
	}
}

// captureSim records what the collector asks of sim, and ipmitool's view,
// in testdata/name.
func captureSim(t *testing.T, sim *ipmitest.Sim, name, state string) {
	t.Helper()
	rec := captureReport(t, simTarget(sim.Addr))
	rec.open17 = openSessionAnswer(t, sim.Addr, types.CipherSuiteID17)
	rec.ipmitool = strings.Split(strings.TrimSpace(sim.IPMItool(t, "-c", "sdr", "elist", "full")), "\n")
	rec.write(t, name, "Captured from OpenIPMI ipmi_sim (Debian openipmi) serving ipmitest.ServerSensors(), "+state+",",
		"by go test -run TestIPMISim -update; ipmitool lines: `ipmitool -c sdr elist full` at the same time.")
}

// captureReport polls target once through a recorder, and also keeps its
// authentication capabilities answer.
func captureReport(t *testing.T, target Target) *capture {
	t.Helper()
	var rec *recorder
	dial := func(ctx context.Context, t Target) (BMC, error) {
		s, err := Dial(ctx, t)
		if err != nil {
			return nil, err
		}
		rec = newRecorder(s)
		return rec, nil
	}
	c, err := NewCollectorWith(target, nil, dial, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	report(t, c)
	rec.c.authcaps = authCapsAnswer(t, target.Address)
	return rec.c
}

// authCapsAnswer asks addr's authentication capabilities.
func authCapsAnswer(t *testing.T, addr string) []byte {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, err := exchangeUDP(ctxFor(t), conn, authCapabilitiesRequest(), time.Second, 2)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openSessionAnswer sends addr an RMCP+ Open Session Request for cipher
// suite cs (IPMI v2.0 §13.17), as go-ipmi builds it, and returns the answer.
func openSessionAnswer(t *testing.T, addr string, cs types.CipherSuiteID) []byte {
	t.Helper()
	a, i, c, _ := types.GetCipherSuiteAlgorithms(cs)
	ap, ip, cp := rmcpplus.NewAlgorithmPayloads(a, i, c)
	payload := (&rmcpplus.OpenSessionRequest{RemoteConsoleSessionID: 0xa0a1a2a3,
		AuthenticationPayload: ap, IntegrityPayload: ip, ConfidentialityPayload: cp}).Pack()
	pkt := []byte{0x06, 0x00, 0xff, 0x07, 0x06, byte(types.PayloadTypeRmcpOpenSessionRequest), 0, 0, 0, 0, 0, 0, 0, 0,
		byte(len(payload)), byte(len(payload) >> 8)}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, err := exchangeUDP(ctxFor(t), conn, append(pkt, payload...), time.Second, 2)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// report polls c once for its Report.
func report(t *testing.T, c *Collector) Report {
	t.Helper()
	r, err := c.Report(ctxFor(t))
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return r
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// find returns the value of a reading.
func find(rs []Found, m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
	for _, r := range rs {
		if r.Metric == m && r.Scope == s && r.Index == i {
			return r.Value, true
		}
	}
	return 0, false
}

// sensorName is the name in a reading's source, `sensor 30h "NAME" (…)`.
var sensorName = regexp.MustCompile(`^sensor [0-9a-f]+h "([^"]*)"`)

// crossCheck checks that each numeric sensor the report read has the value
// ipmitool printed (in its printed precision, converted to base units),
// and that every sensor ipmitool printed a value for was read.
func crossCheck(t *testing.T, r Report, tool map[string]ipmitest.Reading) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range r.Readings {
		m := sensorName.FindStringSubmatch(f.Source)
		if m == nil || strings.HasPrefix(string(f.Metric), "psu_") {
			continue
		}
		seen[m[1]] = true
		want, ok := tool[m[1]]
		if !ok {
			t.Errorf("%s: collector read %v, ipmitool printed no value", m[1], f.Value)
			continue
		}
		v, unit := baseUnit(want)
		if unit != f.Metric || math.Abs(v-f.Value) > 0.0005 {
			t.Errorf("%s: got %v %s, ipmitool %v %s (%v %s)", m[1], f.Value, f.Metric, want.Value, want.Unit, v, unit)
		}
	}
	for name, r := range tool {
		if baseMetric(r.Unit) != "" && !seen[name] {
			t.Errorf("%s: ipmitool printed %v %s, the collector read nothing", name, r.Value, r.Unit)
		}
	}
}

// baseUnit converts what ipmitool printed to the collectors' base unit.
func baseUnit(r ipmitest.Reading) (float64, collectors.Metric) {
	if r.Unit == "degrees F" {
		return (r.Value - 32) * 5 / 9, collectors.TemperatureCelsius
	}
	return r.Value, baseMetric(r.Unit)
}

func baseMetric(unit string) collectors.Metric {
	switch unit {
	case "Watts":
		return collectors.PowerWatts
	case "Amps":
		return collectors.CurrentAmperes
	case "Volts":
		return collectors.VoltageVolts
	case "degrees C", "degrees F":
		return collectors.TemperatureCelsius
	}
	return ""
}

// waitIPMItool waits until ipmitool shows sensor name in the state ok
// wants: ipmi_sim reads its files once a second.
func waitIPMItool(t *testing.T, sim *ipmitest.Sim, name string, ok func(ipmitest.Reading) bool) {
	t.Helper()
	waitFor(t, func() bool {
		r, found := sim.SDRReadings(t)[name]
		if !found {
			r = ipmitest.Reading{State: "ns"}
		}
		return ok(r)
	}, "ipmitool to show "+name+" changed")
}

// waitStates waits until ipmitool's elist shows text in sensor name's
// states.
func waitStates(t *testing.T, sim *ipmitest.Sim, name, text string) {
	t.Helper()
	waitFor(t, func() bool {
		for _, l := range strings.Split(sim.IPMItool(t, "sdr", "elist", "all"), "\n") {
			if strings.HasPrefix(l, name) && strings.Contains(l, text) {
				return true
			}
		}
		return false
	}, name+" to show "+text)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// activeSessions is the BMC's count of active sessions, as ipmitool's own
// session shows it.
func activeSessions(t *testing.T, sim *ipmitest.Sim) int {
	t.Helper()
	out := sim.IPMItool(t, "session", "info", "active")
	m := regexp.MustCompile(`active sessions\s*:\s*(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no session count in ipmitool's answer:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
