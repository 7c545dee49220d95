package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestIPMI polls eight simulated BMCs with the agent and with Debian's
// ipmitool, one process per poll: both read every BMC without a failure,
// the agent's CPU per 1,000 polls and memory per BMC are measured, and
// the figures are as many as the runs.
func TestIPMI(t *testing.T) {
	tool, err := exec.LookPath("ipmitool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ipmitool (Debian's ipmitool) is missing: %v", err)
		}
		t.Skipf("ipmitool is missing: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pwFile := filepath.Join(t.TempDir(), ipmiPasswordFile)
	if err := writeIPMIPassword(pwFile); err != nil {
		t.Fatal(err)
	}
	s, site, err := startBMCSim(ctx, pwFile, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if first := bmcFirstPort(8); first != 0 {
		for _, a := range bmcAddresses(site) {
			_, p, _ := net.SplitHostPort(a)
			if port, _ := strconv.Atoi(p); port < first || port >= first+8*5/4+100 {
				t.Errorf("BMC at %s, want a port from %d, below the ephemeral ones", a, first)
			}
		}
	}
	r, err := ipmiRuns(ctx, IPMIConfig{Interval: 100 * time.Millisecond, Duration: 700 * time.Millisecond, Runs: 2,
		Workers: 4, ToolWorkers: 2, Ipmitool: tool}, site, pwFile, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if r.BMCs != 8 || r.AgentPollsPerSec.Runs != 2 || r.ToolPollsPerSec.Runs != 2 {
		t.Errorf("got %d BMCs, %d and %d runs; want 8 BMCs, 2 runs each", r.BMCs, r.AgentPollsPerSec.Runs, r.ToolPollsPerSec.Runs)
	}
	if r.AgentPollsPerSec.Min <= 0 || r.AgentFailedPerSec.Max != 0 || r.AgentFailure != "" {
		t.Errorf("agent: got %+v polls/s, %+v failed (%s); want polls, none failed", r.AgentPollsPerSec, r.AgentFailedPerSec, r.AgentFailure)
	}
	if r.ToolPollsPerSec.Min <= 0 || r.ToolFailedPerSec.Max != 0 || r.ToolFailure != "" {
		t.Errorf("ipmitool: got %+v polls/s, %+v failed (%s); want polls, none failed", r.ToolPollsPerSec, r.ToolFailedPerSec, r.ToolFailure)
	}
	if r.AgentCPUPerKPoll.Min <= 0 || r.ToolCPUPerKPoll.Min <= 0 || r.HeapPerBMC <= 0 || r.ToolMaxRSSMiB <= 0 {
		t.Errorf("got CPU per 1000 polls %+v (agent) %+v (ipmitool), heap per BMC %v, ipmitool RSS %v MiB; want each measured",
			r.AgentCPUPerKPoll, r.ToolCPUPerKPoll, r.HeapPerBMC, r.ToolMaxRSSMiB)
	}
	if got, want := r.FleetHeapMiB, r.HeapPerBMC*IPMIFleet/(1<<20); got != want || r.FleetMeasured {
		t.Errorf("got %v MiB for the fleet (measured %v), want %v (per BMC × %d), extrapolated", got, r.FleetMeasured, want, IPMIFleet)
	}
	// The warm-up waits for every session; the windows reuse them.
	if r.SessionsOpen != 8 || r.SessionsOpened != 0 {
		t.Errorf("got %d sessions open after the warm-up and %d opened while measured, want 8 and 0", r.SessionsOpen, r.SessionsOpened)
	}
}

// TestBMCFirstPort: the simulated BMCs' ports end below the system's
// ephemeral ports, which the agent's sockets take.
func TestBMCFirstPort(t *testing.T) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skipf("no ephemeral port range to read: %v", err)
	}
	var low, high int
	if _, err := fmt.Sscan(string(data), &low, &high); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{8, 2000, 18000} {
		first := bmcFirstPort(n)
		if first == 0 && low-n >= 1024+n/4+100 {
			t.Errorf("bmcFirstPort(%d) = 0 with ports %d-%d, want room below", n, low, high)
		}
		if first != 0 && (first < 1024 || first+n > low) {
			t.Errorf("bmcFirstPort(%d) = %d, want %d ports from at least 1024 ending below %d", n, first, n, low)
		}
	}
}

// TestReferenceRacksFor checks the racks the BMC simulator starts: the
// fewest that hold the servers asked for.
func TestReferenceRacksFor(t *testing.T) {
	for _, n := range []int{1, 44, 45, 300} {
		k := referenceRacksFor(n)
		if BMCServersOf(k) < n || (k > 1 && BMCServersOf(k-1) >= n) {
			t.Errorf("referenceRacksFor(%d) = %d racks holding %d servers (%d in one fewer), want the fewest that hold %d",
				n, k, BMCServersOf(k), BMCServersOf(k-1), n)
		}
	}
}

// BMCServersOf is how many servers the reference site of racks racks holds.
func BMCServersOf(racks int) int { return demo.BMCServers(inventory.Reference(racks), racks) }

// openBMC is a BMC whose session opens at once and answers a poll with
// nothing: no DCMI, an empty SDR.
type openBMC struct{}

func (openBMC) DeviceID(context.Context) ([]byte, error) { return nil, nil }
func (openBMC) PowerReading(context.Context) ([]byte, error) {
	return nil, &ipmi.CompletionError{Command: "Get DCMI Power Reading", Code: 0xc1}
}
func (openBMC) SDR(context.Context) ([][]byte, error)                { return nil, nil }
func (openBMC) SensorReading(context.Context, uint8) ([]byte, error) { return nil, nil }
func (openBMC) Close(context.Context) error                          { return nil }

// TestWarmUpWaitsForSessions: the warm-up lasts past its interval until
// every BMC's session is open, and at most WarmUpMax when some never
// opens, saying how many did.
func TestWarmUpWaitsForSessions(t *testing.T) {
	var targets []agent.Target
	for i := range 3 {
		c, err := ipmi.NewCollectorWith(ipmi.Target{Address: fmt.Sprintf("bmc%d.test", i), User: "u", Password: ipmi.NewPassword("p")}, nil,
			func(context.Context, ipmi.Target) (ipmi.BMC, error) { return openBMC{}, nil }, nil)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, agent.Target{Device: fmt.Sprintf("bmc%d", i), Poller: c, Protocol: agent.ProtocolIPMI})
	}
	poll := func(ts []agent.Target) {
		for _, tg := range ts {
			if st := tg.Poller.Poll(t.Context()); !st.OK {
				t.Errorf("poll of %s: %s", tg.Device, st.Err)
			}
		}
	}
	c := IPMIConfig{Interval: 10 * time.Millisecond, WarmUpMax: 1500 * time.Millisecond}
	poll(targets[:2]) // two open at once; the third never does
	// A warm-up that ignored its bound would wait for the third forever:
	// the deadline makes that a failure in seconds.
	bounded, cancel := context.WithTimeout(t.Context(), 4*c.WarmUpMax)
	defer cancel()
	took, open, err := c.warmUp(bounded, targets)
	if err != nil || open != 2 || took < c.WarmUpMax {
		t.Errorf("one session never open: got %d open after %v (%v), want 2 after the bound %v", open, took, err, c.WarmUpMax)
	}
	c.WarmUpMax = time.Minute
	time.AfterFunc(1500*time.Millisecond, func() { poll(targets[2:]) })
	took, open, err = c.warmUp(t.Context(), targets)
	if err != nil || open != 3 || took < 1500*time.Millisecond || took > 30*time.Second {
		t.Errorf("the last session open after 1.5 s: got %d open after %v (%v), want 3 after 1.5 s", open, took, err)
	}
	if got := sessionsOpened(targets); got != 3 {
		t.Errorf("got %d sessions opened, want 3", got)
	}
}
