package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/inventory"
)

type benchPlacementOptions struct {
	*globalOptions
	racks    int
	fill     float64
	requests int
	rounds   int
	replicas int
	clients  int
	dir      string
	cpuProf  string
}

func newBenchPlacementCmd(g *globalOptions) *cobra.Command {
	o := &benchPlacementOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "placement",
		Short: "Placement decisions per second and their latency: the engine alone, and through the API with the Raft commit",
		Long: `Pre-fill the reference site to --fill of its rack budgets with copies of the
city's workloads, then time --rounds rounds of --requests single requests of
the city's shapes (removing each round's placements, untimed, before the next):
with the engine alone in this process, then through a real single-node
controller (Raft with fsync, in a temporary directory under --dir) behind
its HTTP API on 127.0.0.1, driven by --clients concurrent clients, each
request with an idempotency key. In the same run it times the disk's fsync,
GET /healthz and dry runs, as anchors. At the end it recomputes every hard
limit (rack budgets, feed failover per phase, row cooling N+1, server
capacity) from the committed placements.

'placement quality' replays real traces against baseline policies.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "racks of the reference site")
	f.Float64Var(&o.fill, "fill", 0.5, "share of the rack budgets to pre-fill with placements")
	f.IntVar(&o.requests, "requests", 2000, "measured requests of each round, in each mode")
	f.IntVar(&o.rounds, "rounds", 3, "rounds of each timed mode (a round's placements are removed before the next)")
	f.IntVar(&o.replicas, "replicas", 1, "replicas of each measured request")
	f.IntVar(&o.clients, "clients", 64, "concurrent API clients")
	f.StringVar(&o.dir, "dir", os.TempDir(), "where the controller's Raft data goes (a new directory, removed at the end)")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the last round's placements through the API here (for go tool pprof)")
	cmd.AddCommand(newBenchQualityCmd(g))
	return cmd
}

func (o *benchPlacementOptions) run(cmd *cobra.Command) error {
	r, err := bench.Placement(cmd.Context(), bench.PlacementConfig{Racks: o.racks, Fill: o.fill, Requests: o.requests, Rounds: o.rounds,
		Replicas: o.replicas, Clients: o.clients, Dir: o.dir, CPUProfile: o.cpuProf})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}

type benchQualityOptions struct {
	*globalOptions
	alibaba, azure string
	load           float64
	gpuFirst       bool
	racks          int
	spread         string
	limit          int
}

func newBenchQualityCmd(g *globalOptions) *cobra.Command {
	o := &benchQualityOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "quality",
		Short: "Replay real traces with dcplane's placement and two baselines, and compare what each strands and refuses",
		Long: `Replay real traces with four policies: dcplane's engine (binpack, and
spread), first-fit, and a Kubernetes-like least-allocated spread. The
baselines keep the same hard limits as the engine (each pick is accepted
only if placement.Check accepts it) and differ only in their choice.

--alibaba DIR replays the pods of DIR/pods.csv onto the nodes of
DIR/nodes.csv put into the reference site's racks; --azure DIR replays the
VM arrivals and departures of DIR/arrivals.txt (durations.txt, flavors.txt,
duration-bins.txt) onto the servers of the reference site's first --racks
racks. With neither flag, both run on ../shared/traces. See
docs/benchmarks.md for the models.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.alibaba, "alibaba", "../shared/traces/alibaba-gpu-2023", "folder of the Alibaba GPU trace (nodes.csv, pods.csv)")
	f.StringVar(&o.azure, "azure", "../shared/traces/azure-2017-vms", "folder of the Azure VM trace (arrivals.txt, durations.txt, flavors.txt, duration-bins.txt)")
	f.Float64Var(&o.load, "load", 1, "Alibaba: submit pods until they ask this share of the nodes' GPUs")
	f.BoolVar(&o.gpuFirst, "gpu-first", false, "Alibaba: put the GPU nodes into the first racks, the CPU-only nodes after them")
	f.IntVar(&o.racks, "racks", 8, "Azure: racks of the reference site to replay onto (8: the trace's busiest hour fills about 90 % of their memory)")
	f.StringVar(&o.spread, "spread", "server", "Azure: a tenant's batch's anti-affinity domain (server or rack)")
	f.IntVar(&o.limit, "limit", 0, "replay at most this many pods or VMs of each trace (0: all)")
	return cmd
}

func (o *benchQualityOptions) run(cmd *cobra.Command) error {
	fl := cmd.Flags()
	both := !fl.Changed("alibaba") && !fl.Changed("azure")
	var out bench.QualityResults
	if both || fl.Changed("alibaba") {
		r, err := bench.Alibaba(cmd.Context(), bench.AlibabaConfig{Dir: o.alibaba, Load: o.load, Limit: o.limit, GPUFirst: o.gpuFirst})
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	if both || fl.Changed("azure") {
		spread := placement.Domain(o.spread)
		if spread != placement.DomainServer && spread != placement.DomainRack {
			return fmt.Errorf("--spread %q: want server or rack", o.spread)
		}
		r, err := bench.Azure(cmd.Context(), bench.AzureConfig{Dir: o.azure, Racks: o.racks, Spread: spread, Limit: o.limit})
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	return o.printBenchTable(cmd.OutOrStdout(), out)
}
