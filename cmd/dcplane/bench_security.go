package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/inventory"
)

type benchSecurityOptions struct {
	*globalOptions
	racks    int
	runs     int
	pushes   int
	requests int
	agents   int
	clients  int
	perPush  int
	dir      string
	cpuProf  string
}

func newBenchSecurityCmd(g *globalOptions) *cobra.Command {
	o := &benchSecurityOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "security",
		Short: "What mutual TLS and authentication cost on the ingest and placement paths (readings and placements per second, with and without)",
		Long: `Open two single-node controllers of the reference site (Raft with fsync,
in temporary directories under --dir): one serving plain HTTP to anyone, the
other mutual TLS with every call authenticated, as production runs. In each
of --runs runs, in an order that alternates, --agents agents push --pushes
pushes of --polls-per-push PDUs' polls (each 60 readings) to each, over TLS
with their agent certificates, and --clients clients place --requests
single replicas of the city's shapes on each, over TLS with an operator
certificate and a platform token (removed, untimed, after each run). Both
audit every placement and keep their connections alive; the per-client rate
limits are off on both. It reports readings and placements per second each
way, and what the security costs, run by run, against issue 7's goal of
under 10 %.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "racks of the reference site (two PDUs each)")
	f.IntVar(&o.runs, "runs", 5, "runs; each figure is given as min / median / max over them")
	f.IntVar(&o.pushes, "pushes", 2000, "telemetry pushes of each run, each way")
	f.IntVar(&o.requests, "requests", 2000, "placements of each run, each way")
	f.IntVar(&o.agents, "agents", 16, "concurrent agents, each pushing for its own share of the PDUs")
	f.IntVar(&o.clients, "clients", 64, "concurrent placement clients")
	f.IntVar(&o.perPush, "polls-per-push", 16, "PDUs' polls in each push")
	f.StringVar(&o.dir, "dir", os.TempDir(), "where the controllers' Raft data goes (new directories, removed at the end)")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of each run's placements, both ways, to FILE.run1, FILE.run2, … (go tool pprof merges several; labels end=plain|tls, side=controller|client)")
	return cmd
}

func (o *benchSecurityOptions) run(cmd *cobra.Command) error {
	if o.runs < 1 || o.pushes < 1 || o.requests < 1 || o.agents < 1 || o.clients < 1 || o.perPush < 1 || o.racks < 1 {
		return usageError{fmt.Errorf("--racks %d, --runs %d, --pushes %d, --requests %d, --agents %d, --clients %d, --polls-per-push %d: want each at least 1",
			o.racks, o.runs, o.pushes, o.requests, o.agents, o.clients, o.perPush)}
	}
	r, err := bench.Security(cmd.Context(), bench.SecurityConfig{Racks: o.racks, Runs: o.runs, Pushes: o.pushes, Requests: o.requests,
		Agents: o.agents, Clients: o.clients, PollsPerPush: o.perPush, Dir: o.dir, CPUProfile: o.cpuProf})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
