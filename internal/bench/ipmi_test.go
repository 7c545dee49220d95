package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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
