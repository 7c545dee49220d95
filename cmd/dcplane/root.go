package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

// globalOptions are the flags every command has.
type globalOptions struct {
	controller string
	tokenFile  string // where the API token is, when not in DCPLANE_TOKEN
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
			if err := missingFlags(cmd); err != nil {
				return err
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
	pf.StringVar(&g.tokenFile, "token-file", "", "file holding the API token (default: the token in env DCPLANE_TOKEN); never give the token itself on the command line")
	pf.StringVarP(&g.output, "output", "o", output.FormatTable, output.Help)
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRackCmd(g), newPowerCmd(g), newInventoryCmd(g), newProbeCmd(),
		newControllerCmd(g), newAgentCmd(g), newDemoCmd(g), newSimCmd(g), newBenchCmd(g),
		newPlaceCmd(g), newReserveCmd(g), newPlacementCmd(g), newWhatIfCmd(g), newClusterCmd(g),
		newAlertsCmd(g), newForecastCmd(g), newTLSCmd(), newTokenCmd(g), newAuditCmd(g), newServerCmd(g), newCompletionCmd())
	refuseUnknownSubcommands(root)
	return root, g
}

// Annotations of a required flag that say what to give when it is missing.
const (
	annotationValue = "dcplane_value" // the value's name: REQUEST.yaml
	annotationHint  = "dcplane_hint"  // where to find one, or what it may be
)

// requireFlag marks the flag name of cmd required, and says what to give
// when it is missing: a value named value (REQUEST.yaml), and hint, if
// not "", where to find one or what it may be.
func requireFlag(cmd *cobra.Command, name, value, hint string) {
	_ = cmd.MarkFlagRequired(name)
	describeRequired(cmd, name, value, hint)
}

// describeRequired says what to give for the required flag name of cmd.
func describeRequired(cmd *cobra.Command, name, value, hint string) {
	_ = cmd.Flags().SetAnnotation(name, annotationValue, []string{value})
	if hint != "" {
		_ = cmd.Flags().SetAnnotation(name, annotationHint, []string{hint})
	}
}

// missingFlags is the one check of required flags: it names the command
// and each flag missing as it is typed, with its value ("place: give
// -f/--file REQUEST.yaml"), and where to find one; a usage error, with the
// usage line. Cobra's own says `required flag(s) "file" not set`.
func missingFlags(cmd *cobra.Command) error {
	var give, hints []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if req := f.Annotations[cobra.BashCompOneRequiredFlag]; len(req) == 0 || req[0] != "true" || f.Changed {
			return
		}
		give = append(give, flagAsTyped(f)+" "+flagValue(f))
		if h := f.Annotations[annotationHint]; len(h) > 0 {
			hints = append(hints, h[0])
		}
	})
	if len(give) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s: give %s", commandName(cmd), strings.Join(give, " and "))
	if len(hints) > 0 {
		msg += " (" + strings.Join(hints, "; ") + ")"
	}
	return usageLineError{errors.New(msg), cmd}
}

// flagAsTyped is the flag as it is typed: "-f/--file", or "--file".
func flagAsTyped(f *pflag.Flag) string {
	if f.Shorthand != "" {
		return "-" + f.Shorthand + "/--" + f.Name
	}
	return "--" + f.Name
}

// flagValue names a flag's value: as requireFlag said, else as its usage
// names it in backquotes, else its type (DURATION) or its name (TRACE).
func flagValue(f *pflag.Flag) string {
	if v := f.Annotations[annotationValue]; len(v) > 0 {
		return v[0]
	}
	name, _ := pflag.UnquoteUsage(f)
	switch name {
	case "", "string", "strings":
		return strings.ToUpper(f.Name)
	}
	return strings.ToUpper(name)
}

// newCompletionCmd returns `dcplane completion SHELL`, which prints the
// script that completes dcplane's commands, flags and rack IDs. It stands
// in for cobra's default command, whose help does not say how to load the
// script and which writes to os.Stdout whatever the command's output.
func newCompletionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion",
		Short: "Print the shell completion script for bash, zsh or fish",
		Long: `Print the script that completes dcplane's commands, flags and rack IDs
(asked of --controller) in your shell. Load it in this shell, or install it
where your shell finds completions, then open a new shell:

  bash (needs the bash-completion package):
    source <(dcplane completion bash)
    dcplane completion bash > ~/.local/share/bash-completion/completions/dcplane
  zsh (compinit loaded):
    source <(dcplane completion zsh)
    dcplane completion zsh > "${fpath[1]}/_dcplane"
  fish:
    dcplane completion fish | source
    dcplane completion fish > ~/.config/fish/completions/dcplane.fish
  powershell:
    dcplane completion powershell | Out-String | Invoke-Expression`,
	}
	gen := map[string]func(root *cobra.Command, w io.Writer) error{
		"bash":       func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) },
		"zsh":        func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) },
		"fish":       func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) },
		"powershell": func(r *cobra.Command, w io.Writer) error { return r.GenPowerShellCompletionWithDesc(w) },
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		cmd.AddCommand(&cobra.Command{
			Use:               shell,
			Short:             "Print the completion script for " + shell,
			Args:              cobra.NoArgs,
			ValidArgsFunction: cobra.NoFileCompletions,
			RunE: func(c *cobra.Command, _ []string) error {
				return gen[shell](c.Root(), c.OutOrStdout())
			},
		})
	}
	return cmd
}

// refuseUnknownSubcommands makes every command that only groups others
// (the root, rack, cluster…) refuse an unknown subcommand with exit code 2
// and suggest the nearest (rack lst: did you mean ls?). Cobra would print
// a group's help and exit 0, and a script would go on as if the command had
// run. The root needs it too: without Args of its own, cobra reads an
// unknown flag before the command as one that takes a value, and reports
// the word after the command ("dcplane --nope rack ls": unknown command
// "ls"); with them, the root parses its flags and says "unknown flag:
// --nope".
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		refuseUnknownSubcommands(c)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	// Cobra's default distance (2) applies only to the root's own search,
	// not to SuggestionsFor.
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		err := fmt.Errorf("unknown command %q", args[0])
		if c.HasParent() {
			err = fmt.Errorf("%s: %w", commandName(c), err)
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			err = fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
		}
		return usageLineError{err, c}
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// client returns an API client of the --controller URLs that sends the
// token of token.
func (g *globalOptions) client() (*api.Client, error) {
	hc, err := operatorHTTPClient(30 * time.Second)
	if err != nil {
		return nil, usageError{err}
	}
	c, err := api.NewClient(g.controller, hc)
	if err != nil {
		return nil, usageError{err}
	}
	tok, err := g.token()
	if err != nil {
		return nil, err
	}
	c.UseToken(tok)
	return c, nil
}

// envToken names the environment variable that holds the API token.
const envToken = "DCPLANE_TOKEN"

// token is the API token: the content of --token-file if given, else
// $DCPLANE_TOKEN, else "" (the controller will say one is needed). A token
// never comes from a flag's value: it would show in ps and the shell's
// history.
func (g *globalOptions) token() (string, error) {
	if g.tokenFile == "" {
		return strings.TrimSpace(os.Getenv(envToken)), nil
	}
	b, err := os.ReadFile(g.tokenFile)
	if err != nil {
		return "", usageError{fmt.Errorf("--token-file: %w", err)}
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usageError{fmt.Errorf("--token-file %s: the file is empty", g.tokenFile)}
	}
	return tok, nil
}

// checkOutput rejects an unknown -o value.
func (g *globalOptions) checkOutput() error { return checkFormat(g.output) }

// data says whether -o asks for data (json or yaml) rather than a table.
func (g *globalOptions) data() bool { return g.output != output.FormatTable }

// print writes v as -o json or yaml asks.
func (g *globalOptions) print(w io.Writer, v any) error { return output.Data(w, g.output, v) }

// logger returns a text logger on w at --log-level.
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(g.logLevel))); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
}
