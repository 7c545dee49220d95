// Command dcplane is the one binary of dcplane: the controller, the agent,
// the demo and the operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

func main() {
	stdLogTo(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// With SIGPIPE notified, a write to a closed pipe (dcplane rack ls | head)
	// fails with EPIPE instead of killing the process.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	root, g := newRootCmd()
	err := root.ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, g.started, os.Stderr))
}

// stdLogTo sends what libraries write with the standard log package
// (net/http's server errors among them) to w as the text lines of
// dcplane's own loggers. Without it they come out in the format of etcd's
// capnslog ("2026-12-01 07:34:51.354114 I | http: ..."), which raft-wal's
// import of etcd's fileutil installs over the log package when the binary
// loads.
func stdLogTo(w io.Writer) { slog.SetDefault(slog.New(slog.NewTextHandler(w, nil))) }

// exitCode reports err and says how to exit: 0 success (or a reader that
// went away), 2 a mistake on the command line, 1 any other failure.
func exitCode(err error, started bool, stderr io.Writer) int {
	if err == nil || errors.Is(err, syscall.EPIPE) {
		return 0
	}
	var ve *inventory.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 1 {
		// One problem a line, each starting with file:line: as editors expect.
		fmt.Fprintf(stderr, "dcplane: the inventory is invalid:\n%v\n", err)
	} else {
		fmt.Fprintln(stderr, "dcplane:", message(err))
	}
	var p *api.Problem
	if errors.As(err, &p) && p.Type == api.ProblemUnauthenticated {
		fmt.Fprintln(stderr, tokenHint)
	}
	if errors.Is(err, api.ErrUnreachable) {
		fmt.Fprintln(stderr, "Start a controller (dcplane demo, or dcplane controller --bootstrap), or point --controller or $DCPLANE_CONTROLLER at one.")
	}
	var se *api.SchemeError
	if errors.As(err, &se) {
		// The URL was given by --controller or $DCPLANE_CONTROLLER: a
		// mistake on the command line.
		fmt.Fprintln(stderr, "Correct --controller or $DCPLANE_CONTROLLER.")
		return 2
	}
	var ue usageLineError
	if errors.As(err, &ue) {
		line := ue.cmd.UseLine()
		if ue.cmd.HasAvailableSubCommands() {
			line = ue.cmd.CommandPath() + " COMMAND"
		}
		fmt.Fprintf(stderr, "Usage: %s\nRun '%s --help' for more.\n", line, ue.cmd.CommandPath())
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if !started {
		// Cobra failed before any command ran: unknown command, wrong
		// number of arguments, a required flag missing.
		fmt.Fprintln(stderr, "Run 'dcplane --help' for usage.")
		return 2
	}
	return 1
}

// tokenHint follows a controller's refusal of the token: there was none,
// or it is not the cluster's (a demo restarted, or another cluster).
const tokenHint = `The controller wants a token of its own cluster: a restarted demo or a new cluster has a new one.
The demo prints it (export DCPLANE_TOKEN=…); a cluster's first is the file admin-token in the data dir
(--data-dir) of its bootstrap node: export DCPLANE_TOKEN=$(cat DIR/admin-token), or --token-file DIR/admin-token.`

// message is err's text, with each problem of the API in it said once: a
// problem's fields are left out where its detail already says them (the
// API puts a single field's detail in both).
func message(err error) string {
	s := err.Error()
	var p *api.Problem
	if !errors.As(err, &p) || len(p.Errors) == 0 {
		return s
	}
	q := *p
	q.Errors = nil
	for _, e := range p.Errors {
		if e.Line > 0 || !strings.Contains(p.Detail, e.Detail) {
			q.Errors = append(q.Errors, e)
		}
	}
	return strings.Replace(s, p.Error(), q.Error(), 1)
}

// exitCoder is an error that says which exit code it deserves.
type exitCoder interface{ ExitCode() int }

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func (usageError) ExitCode() int { return 2 }

// usageLineError is a mistake in how a command was called, an unknown
// flag or a missing argument, reported with the command's usage line: exit
// code 2.
type usageLineError struct {
	error
	cmd *cobra.Command
}

func (usageLineError) ExitCode() int { return 2 }

// commandName is a command's path without the program's name: "rack show".
func commandName(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// flagError is the FlagErrorFunc of every command: the error names the
// command, and the usage line follows it.
func flagError(cmd *cobra.Command, err error) error {
	if cmd.HasParent() {
		err = fmt.Errorf("%s: %w", commandName(cmd), err)
	}
	return usageLineError{err, cmd}
}

// oneArg wants exactly one positional argument, the one named name in the
// command's Use. When it is missing (or more are given) the error says
// which, what it is and an example: "rack show RACK: give a rack ID, e.g.
// H1-R01-K01". Every command that takes an argument uses it.
func oneArg(name, what, example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch len(args) {
		case 1:
			return nil
		case 0:
			return usageLineError{fmt.Errorf("%s %s: give %s, e.g. %s", commandName(cmd), name, what, example), cmd}
		}
		return usageLineError{fmt.Errorf("%s %s: give one argument, got %d: %s", commandName(cmd), name,
			len(args), strings.Join(args, " ")), cmd}
	}
}
