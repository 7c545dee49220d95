package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/demo"
)

type benchSNMPOptions struct {
	*globalOptions
	pdus       string
	duration   time.Duration
	timeout    time.Duration
	runs       int
	workers    int
	cores      int
	exporter   string
	recordings string
	servePDUs  string // the child's directory: serve the PDUs, do not measure
}

func newBenchSNMPCmd(g *globalOptions) *cobra.Command {
	o := &benchSNMPOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "snmp",
		Short: "Device polls per second and CPU per poll of the agent's SNMP collector, against Debian's snmp_exporter on the same PDUs",
		Long: `For each fleet size of --pdus, serve that many simulated PDUs of mixed vendors
(the simulator's APC rPDU2 model and recorded walks of Raritan, Server
Technology, Eaton, Vertiv and HPE PDUs, each following a live load) on as
many UDP ports of 127.0.0.1 in a child process, and poll them round robin with
the agent's SNMP collector in this process (sessions kept) and then with
Debian's prometheus-snmp-exporter (its modules for the same objects, scraped
over HTTP), --workers device polls in flight each, for --duration, --runs
times. Report each poller's device polls per second, failures, CPU seconds
per 1,000 device polls (its own process's), the SNMP requests per poll the
simulated agents answered, and its resident memory; and whether the goals
hold: snmp_exporter spending at least 3x dcplane's CPU per device poll, and
dcplane at 1,500 polls per second or more on one core with no failure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.pdus, "pdus", "1000,5000", "fleet sizes to measure, comma-separated")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each poller polls each fleet, per run")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "each SNMP request's timeout, both pollers'")
	f.IntVar(&o.runs, "runs", 3, "runs per fleet size; each figure is given as min / median / max over them")
	f.IntVar(&o.workers, "workers", 64, "device polls in flight per poller")
	f.IntVar(&o.cores, "cores", 1, "GOMAXPROCS of each poller")
	f.StringVar(&o.exporter, "exporter", bench.DefaultSNMPExporter, "snmp_exporter's program")
	f.StringVar(&o.recordings, "recordings", demo.DefaultRecordings, "folder of the recorded walks")
	f.StringVar(&o.servePDUs, "serve-pdus", "", "")
	_ = f.MarkHidden("serve-pdus") // the child's mode
	return cmd
}

func (o *benchSNMPOptions) run(cmd *cobra.Command) error {
	sizes, err := parseSizes(o.pdus)
	if err != nil {
		return usageError{err}
	}
	if o.servePDUs != "" {
		if len(sizes) != 1 {
			return usageError{fmt.Errorf("--serve-pdus takes one --pdus, got %q", o.pdus)}
		}
		return bench.ServeSNMPPDUs(cmd.Context(), o.servePDUs, sizes[0], o.recordings)
	}
	if o.runs < 1 || o.workers < 1 || o.cores < 1 || o.timeout <= 0 || o.duration <= 0 {
		return usageError{fmt.Errorf("--runs %d, --workers %d, --cores %d, --timeout %v, --duration %v: want at least 1 of each and positive durations",
			o.runs, o.workers, o.cores, o.timeout, o.duration)}
	}
	r, err := bench.SNMP(cmd.Context(), bench.SNMPConfig{PDUs: sizes, Duration: o.duration, Runs: o.runs, Workers: o.workers,
		Timeout: o.timeout, Cores: o.cores, Exporter: o.exporter, Recordings: o.recordings, SimStderr: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}

// parseSizes parses "1000,5000" into positive sizes.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--pdus %q: want positive counts separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}
