package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/output"
)

func newInventoryCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "inventory", Short: "Site inventories: validate, apply, generate"}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "validate FILE",
			Short: "Check an inventory file; every problem is named by file, line and field",
			Args:  oneArg("FILE", "an inventory file (dcplane inventory example writes one)", "site.yaml"),
			RunE:  func(cmd *cobra.Command, args []string) error { return validateInventory(cmd, g, args[0]) },
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
		newInventoryExampleCmd(g),
	)
	return cmd
}

func newInventoryExampleCmd(g *globalOptions) *cobra.Command {
	var racks int
	cmd := &cobra.Command{
		Use:   "example",
		Short: "Print the bundled reference site (460 racks, about 7 MW), or one of --racks racks; -o json prints it as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			doc := deploy.ReferenceSite
			if racks != inventory.ReferenceRacks {
				if err := inventory.CheckReferenceRacks(racks); err != nil {
					return usageError{fmt.Errorf("--racks: %w", err)}
				}
				var err error
				if doc, err = inventory.Marshal(inventory.Reference(racks)); err != nil {
					return err
				}
			}
			if g.output != output.FormatJSON {
				// The file itself, comments and all: it is YAML already.
				_, err := cmd.OutOrStdout().Write(doc)
				return err
			}
			return printSiteJSON(cmd.OutOrStdout(), doc)
		},
	}
	cmd.Flags().IntVar(&racks, "racks", inventory.ReferenceRacks, "number of racks")
	return cmd
}

// printSiteJSON writes an inventory (YAML) as JSON, with its field names.
func printSiteJSON(w io.Writer, doc []byte) error {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return err
	}
	return output.JSON(w, v)
}

// validation is what 'inventory validate -o json|yaml' prints: the site's
// counts when it is valid, its problems when not.
type validation struct {
	File     string            `json:"file"`
	Valid    bool              `json:"valid"`
	Site     string            `json:"site,omitempty"`
	Counts   *validationCounts `json:"counts,omitempty"`
	Problems []problemOut      `json:"problems"`
}

type validationCounts struct {
	Halls        int     `json:"halls"`
	Rows         int     `json:"rows"`
	Racks        int     `json:"racks"`
	PDUs         int     `json:"pdus"`
	CoolingUnits int     `json:"cooling_units"`
	Servers      int     `json:"servers"`
	BudgetKW     float64 `json:"budget_kw"`
}

// problemOut is one problem of an inventory: where, which field, what.
type problemOut struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// validateInventory checks file and says so: a line, or with -o json|yaml
// the validation, problems and all; an invalid file exits 1 either way.
func validateInventory(cmd *cobra.Command, g *globalOptions, file string) error {
	if err := g.checkOutput(); err != nil {
		return err
	}
	s, err := inventory.LoadFile(file)
	var ve *inventory.ValidationError
	switch {
	case err == nil && !g.data():
		c := s.Count()
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: site %s, %d halls, %d rows, %d racks, %d PDUs, %d cooling units, budget %.1f kW\n",
			file, s.Name, c.Halls, c.Rows, c.Racks, c.PDUs, c.CoolingUnits, c.BudgetWatts/1000)
		return err
	case err == nil:
		c := s.Count()
		return g.print(cmd.OutOrStdout(), validation{File: file, Valid: true, Site: s.Name, Problems: []problemOut{},
			Counts: &validationCounts{c.Halls, c.Rows, c.Racks, c.PDUs, c.CoolingUnits, c.Servers, c.BudgetWatts / 1000}})
	case !g.data() || !errors.As(err, &ve):
		return err // not a file to validate: unreadable, or too large
	}
	v := validation{File: file}
	for _, p := range ve.Problems {
		v.Problems = append(v.Problems, problemOut{Line: p.Line, Field: p.Field, Message: p.Msg})
	}
	if err := g.print(cmd.OutOrStdout(), v); err != nil {
		return err
	}
	return fmt.Errorf("%s: the inventory is invalid: %d problem(s), listed on stdout", file, len(v.Problems))
}
