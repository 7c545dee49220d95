// Command dcplane is the one binary of dcplane: the controller, the agent,
// the demo and the operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// With SIGPIPE notified, a write to a closed pipe (dcplane rack ls | head)
	// fails with EPIPE instead of killing the process.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	root, g := newRootCmd()
	err := root.ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, g.started, os.Stderr))
}

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
		fmt.Fprintln(stderr, "dcplane:", err)
	}
	if errors.Is(err, api.ErrUnreachable) {
		fmt.Fprintln(stderr, "Start a controller (dcplane demo, or dcplane controller --bootstrap), or point --controller or $DCPLANE_CONTROLLER at one.")
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

// exitCoder is an error that says which exit code it deserves.
type exitCoder interface{ ExitCode() int }

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func (usageError) ExitCode() int { return 2 }
