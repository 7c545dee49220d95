package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
)

func newInventoryCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "inventory", Short: "Site inventories: validate, apply, generate"}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "validate FILE",
			Short: "Check an inventory file; every problem is named by file, line and field",
			Args:  oneArg("FILE", "an inventory file (dcplane inventory example writes one)", "site.yaml"),
			RunE: func(cmd *cobra.Command, args []string) error {
				s, err := inventory.LoadFile(args[0])
				if err != nil {
					return err
				}
				c := s.Count()
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: site %s, %d halls, %d rows, %d racks, %d PDUs, %d cooling units, budget %.1f kW\n",
					args[0], s.Name, c.Halls, c.Rows, c.Racks, c.PDUs, c.CoolingUnits, c.BudgetWatts/1000)
				return nil
			},
		},
		&cobra.Command{
			Use:   "apply FILE",
			Short: "Validate an inventory and make it the controller's (replicated through Raft)",
			Args:  oneArg("FILE", "an inventory file (dcplane inventory example writes one)", "site.yaml"),
			RunE: func(cmd *cobra.Command, args []string) error {
				if _, err := inventory.LoadFile(args[0]); err != nil {
					return err
				}
				doc, err := os.ReadFile(args[0])
				if err != nil {
					return err
				}
				c, err := g.client()
				if err != nil {
					return err
				}
				res, err := c.PutInventory(cmd.Context(), doc)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s: site %s, %d racks, %d PDUs (log index %d)\n", args[0], res.Site, res.Racks, res.PDUs, res.Index)
				return nil
			},
		},
		newInventoryExampleCmd(),
	)
	return cmd
}

func newInventoryExampleCmd() *cobra.Command {
	var racks int
	cmd := &cobra.Command{
		Use:   "example",
		Short: "Print the bundled reference site (460 racks, about 7 MW), or one of --racks racks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if racks == inventory.ReferenceRacks {
				_, err := cmd.OutOrStdout().Write(deploy.ReferenceSite)
				return err
			}
			if err := inventory.CheckReferenceRacks(racks); err != nil {
				return usageError{fmt.Errorf("--racks: %w", err)}
			}
			b, err := inventory.Marshal(inventory.Reference(racks))
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().IntVar(&racks, "racks", inventory.ReferenceRacks, "number of racks")
	return cmd
}
