package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

type placeOptions struct {
	*globalOptions
	file    string
	key     string
	ttl     string
	dryRun  bool
	explain bool
}

func newPlaceCmd(g *globalOptions) *cobra.Command {
	o := &placeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "place -f REQUEST.yaml",
		Short: "Place a workload's replicas where power, feeds and cooling allow",
		Long: `Place the replicas of a workload. The request (YAML or JSON, - for stdin) names
the workload and what each replica needs:

  name: portal-api
  system: citizen-portal
  replicas: 6
  cpu_millicores: 4000
  memory_mib: 8192
  watts: 400          # declared per replica
  spread: rack        # server, rack, row, feed or hall
  both_feeds: true    # only servers fed A and B

The answer lists the server, rack, row, hall and feeds of each replica. A
workload that does not fit is refused with the binding reason and how many
candidates each limit turned down. Every call carries an idempotency key (a
fresh one unless --idempotency-key is given), so a retried call places
nothing twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, false) },
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "decide, but place nothing")
	cmd.Flags().BoolVar(&o.explain, "explain", false, "also list the best candidates with their scores")
	return cmd
}

func newReserveCmd(g *globalOptions) *cobra.Command {
	o := &placeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "reserve -f REQUEST.yaml --ttl 15m",
		Short: "Reserve room for a workload for a while; confirm it with 'placement confirm'",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.run(cmd, true) },
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.ttl, "ttl", "15m", "how long the reservation holds unless confirmed")
	return cmd
}

func (o *placeOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "the request, YAML or JSON (- for stdin)")
	cmd.Flags().StringVar(&o.key, "idempotency-key", "", "the request's idempotency key (default: a fresh one)")
	requireFlag(cmd, "file", "REQUEST.yaml", "")
}

func (o *placeOptions) run(cmd *cobra.Command, reserve bool) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	req, err := readPlacementRequest(o.file, cmd.InOrStdin())
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	if o.key == "" {
		o.key = freshKey()
	}
	var p *api.Placement
	if reserve {
		req.TTL = o.ttl
		p, err = c.Reserve(cmd.Context(), req, o.key)
	} else {
		p, err = c.Place(cmd.Context(), req, api.PlaceOptions{DryRun: o.dryRun, Explain: o.explain, Key: o.key})
	}
	var prob *api.Problem
	if errors.As(err, &prob) && o.data() {
		// A script gets the refusal's reasons as JSON or YAML too (the exit code
		// still says it failed).
		if perr := o.print(cmd.OutOrStdout(), prob); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if o.data() {
		return o.print(cmd.OutOrStdout(), p)
	}
	return printPlacement(cmd.OutOrStdout(), p)
}

// readPlacementRequest reads a request from a YAML or JSON file, refusing
// fields it does not know.
func readPlacementRequest(file string, stdin io.Reader) (*api.PlacementRequest, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	var req api.PlacementRequest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: holds more than one YAML document; give one request", file)
	}
	return &req, nil
}

// freshKey returns a new idempotency key.
func freshKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "cli-" + hex.EncodeToString(b[:])
}

// noPlacement says, for the API's answer that placement id is not there,
// which one and where to find those there are; the API's detail names a
// package of the controller ("state: unknown placement"). Other errors
// pass as they are.
func noPlacement(id string, err error) error {
	var p *api.Problem
	if errors.As(err, &p) && p.Type == api.ProblemNotFound {
		return fmt.Errorf("no placement %q ('dcplane placement ls' lists them)", id)
	}
	return err
}

// printPlacement shows a placement for people: a heading, then a replica a
// line.
func printPlacement(w io.Writer, p *api.Placement) error {
	head := fmt.Sprintf("%s %s", p.Status, p.ID)
	if p.DryRun {
		head = "dry run: would be " + head + " (nothing placed)"
	}
	fmt.Fprintf(w, "%s: %s (%s), %d replicas, %.2f kW declared\n", head, p.Request.Name, orDash(p.System), len(p.Replicas), p.Watts/1000)
	if p.ExpiresAt != nil {
		fmt.Fprintf(w, "expires at %s unless confirmed: dcplane placement confirm %s\n", p.ExpiresAt.Format("2006-01-02 15:04:05Z07:00"), p.ID)
	}
	rows := make([][]string, len(p.Replicas))
	for i, r := range p.Replicas {
		rows[i] = []string{fmt.Sprint(r.Replica), r.Server, r.Rack, r.Row, r.Hall, strings.Join(r.Feeds, "+"), fmt.Sprintf("%.0f", r.Watts)}
	}
	if err := output.Table(w, []string{"REPLICA", "SERVER", "RACK", "ROW", "HALL", "FEEDS", "WATTS"}, rows); err != nil {
		return err
	}
	if len(p.Candidates) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nbest candidates for the first replica:")
	rows = rows[:0]
	for _, c := range p.Candidates {
		rows = append(rows, []string{c.Rack, c.Server, fmt.Sprintf("%.3f", c.Score), scores(c.Scores)})
	}
	return output.Table(w, []string{"RACK", "SERVER", "SCORE", "PARTS"}, rows)
}

func scores(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%.3f", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newPlacementCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "placement", Short: "Placements and reservations: list, show, remove, confirm"}
	var system string
	ls := &cobra.Command{
		Use: "ls", Short: "List placements and reservations", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			list, err := c.Placements(cmd.Context(), system)
			if err != nil {
				return err
			}
			if g.data() {
				return g.print(cmd.OutOrStdout(), list.Placements)
			}
			rows := make([][]string, len(list.Placements))
			for i, p := range list.Placements {
				rows[i] = []string{p.ID, p.Request.Name, orDash(p.System), p.Status, fmt.Sprint(len(p.Replicas)), fmt.Sprintf("%.2f", p.Watts/1000)}
			}
			return output.Table(cmd.OutOrStdout(), []string{"ID", "NAME", "SYSTEM", "STATUS", "REPLICAS", "kW"}, rows)
		},
	}
	ls.Flags().StringVar(&system, "system", "", "only the placements of this owning system")
	show := &cobra.Command{
		Use: "show ID", Short: "Show one placement with the server of each replica", Args: oneArg("ID", "a placement ID from 'dcplane placement ls'", "pl-0123456789abcdef"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			p, err := c.Placement(cmd.Context(), args[0])
			if err != nil {
				return noPlacement(args[0], err)
			}
			if g.data() {
				return g.print(cmd.OutOrStdout(), p)
			}
			return printPlacement(cmd.OutOrStdout(), p)
		},
	}
	rm := &cobra.Command{
		Use: "rm ID", Short: "Remove a placement or reservation and free its room", Args: oneArg("ID", "a placement ID from 'dcplane placement ls'", "pl-0123456789abcdef"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			if err := c.RemovePlacement(cmd.Context(), args[0]); err != nil {
				return noPlacement(args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return nil
		},
	}
	confirm := &cobra.Command{
		Use: "confirm ID", Short: "Turn a reservation into a placement", Args: oneArg("ID", "a placement ID from 'dcplane placement ls'", "pl-0123456789abcdef"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			p, err := c.ConfirmReservation(cmd.Context(), args[0])
			if err != nil {
				return noPlacement(args[0], err)
			}
			if g.data() {
				return g.print(cmd.OutOrStdout(), p)
			}
			return printPlacement(cmd.OutOrStdout(), p)
		},
	}
	cmd.AddCommand(ls, show, rm, confirm)
	return cmd
}

// checkedClient checks -o and returns the controller's client.
func checkedClient(g *globalOptions) (*api.Client, error) {
	if err := g.checkOutput(); err != nil {
		return nil, err
	}
	return g.client()
}
