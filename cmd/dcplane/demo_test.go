package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/internal/demo"
)

// demoSettings are the flags of 'dcplane demo' that set it up rather than
// change what the site does; every other flag is a scenario, which the
// banner and the README list (demo.Scenarios).
var demoSettings = []string{"racks", "http-addr", "interval", "level", "summary-every", "alertmanager", "vendors", "recordings", "load-curves", "help"}

// TestDemoScenarioFlags checks that every flag of 'dcplane demo' is either a
// setting or one of demo.Scenarios, and that each scenario is a flag whose
// help says it is one.
func TestDemoScenarioFlags(t *testing.T) {
	cmd := newDemoCmd(&globalOptions{})
	var scenarios []string
	for _, s := range demo.Scenarios {
		scenarios = append(scenarios, s.Flag)
		f := cmd.Flags().Lookup(s.Flag)
		if f == nil {
			t.Errorf("demo.Scenarios lists --%s, which 'dcplane demo' does not have", s.Flag)
			continue
		}
		if !strings.HasSuffix(f.Usage, "(scenario)") {
			t.Errorf("got --%s help %q, want it to end with (scenario)", s.Flag, f.Usage)
		}
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(demoSettings, f.Name) && !slices.Contains(scenarios, f.Name) {
			t.Errorf("--%s of 'dcplane demo' is neither a setting nor in demo.Scenarios: list it in one (a scenario goes in the banner and the README)", f.Name)
		}
	})
}
