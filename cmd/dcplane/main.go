// Command dcplane is the one binary of dcplane: the controller, the agent,
// the demo and the operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dcplane:", err)
		var ec exitCoder
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

// exitCoder is an error that says which exit code it deserves.
type exitCoder interface{ ExitCode() int }

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func (usageError) ExitCode() int { return 2 }
