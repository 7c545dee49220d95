package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

// show is what most commands that read the controller do: check -o, call
// fetch (a method expression of api.Client, or a closure) with a client,
// and print its answer as data for -o json or yaml,
// or for people with people.
func show[T any](cmd *cobra.Command, g *globalOptions, fetch func(*api.Client, context.Context) (T, error), people func(io.Writer, T) error) error {
	if err := g.checkOutput(); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	v, err := fetch(c, cmd.Context())
	if err != nil {
		return err
	}
	if g.data() {
		return g.print(cmd.OutOrStdout(), v)
	}
	return people(cmd.OutOrStdout(), v)
}

// checkFormat rejects an -o value that is not a format, as a usage error.
func checkFormat(format string) error {
	if err := output.Check(format); err != nil {
		return usageError{err}
	}
	return nil
}
