package main

import "github.com/spf13/cobra"

func newBenchCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "Measure dcplane on this machine"}
}
