package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
)

// globalOptions are the flags every command has.
type globalOptions struct {
	controller string
	output     string
	logLevel   string
	started    bool // a command's RunE was reached: arguments and flags were fine
}

func newRootCmd() (*cobra.Command, *globalOptions) {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "dcplane",
		Short: "Power and capacity control plane of a data centre",
		Long: `dcplane tracks what every rack, row, hall and feed of a data centre draws
against its budget, from PDUs polled over SNMP by agents near the racks, and
answers engineers (this CLI), ops staff (Prometheus metrics) and platform
teams (the HTTP API).

Start with: dcplane demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runs after cobra has checked arguments and flags, before RunE.
		// Cobra checks required flags only after this hook: check them here
		// so that a missing one is a usage error too.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return usageError{err}
			}
			g.started = true
			return nil
		},
	}
	def := os.Getenv("DCPLANE_CONTROLLER")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.controller, "controller", def, "controller API URLs, comma-separated: any member of the cluster; the next is tried when one does not answer (env DCPLANE_CONTROLLER)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRackCmd(g), newPowerCmd(g), newInventoryCmd(g), newProbeCmd(),
		newControllerCmd(g), newAgentCmd(g), newDemoCmd(g), newSimCmd(g), newBenchCmd(g),
		newPlaceCmd(g), newReserveCmd(g), newPlacementCmd(g), newWhatIfCmd(g), newClusterCmd(g),
		newAlertsCmd(g), newForecastCmd(g), newTLSCmd())
	return root, g
}

// client returns an API client of the --controller URLs.
func (g *globalOptions) client() (*api.Client, error) {
	c, err := api.NewClient(g.controller, nil)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// checkOutput rejects an unknown -o value.
func (g *globalOptions) checkOutput() error {
	switch g.output {
	case "table", "json":
		return nil
	}
	return usageError{fmt.Errorf("-o %q: want table or json", g.output)}
}

// logger returns a text logger on w at --log-level.
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(g.logLevel))); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
}
