package command

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Positional-argument validators. Their messages follow the docker CLI's
// wording exactly because scripts and tests match on them; like docker,
// they exit with status 1 (only flag errors use 125).

func binName(cmd *cobra.Command) string { return cmd.Root().Name() }

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// NoArgs rejects any positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("%s: unknown command: %s %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			binName(cmd), cmd.CommandPath(), args[0], cmd.UseLine(), cmd.CommandPath())
	}
	return fmt.Errorf("%s: '%s' accepts no arguments\n\nUsage:  %s\n\nRun '%s --help' for more information",
		binName(cmd), cmd.CommandPath(), cmd.UseLine(), cmd.CommandPath())
}

// RequiresMinArgs demands at least n arguments.
func RequiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at least %d %s\n\nUsage:  %s\n\nSee '%s --help' for more information",
			binName(cmd), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

// RequiresMaxArgs allows at most n arguments.
func RequiresMaxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at most %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			binName(cmd), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

// RequiresRangeArgs demands between lo and hi arguments.
func RequiresRangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at least %d and at most %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			binName(cmd), cmd.CommandPath(), lo, hi, plural("argument", hi), cmd.UseLine(), cmd.CommandPath())
	}
}

// ExactArgs demands exactly n arguments.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			binName(cmd), cmd.CommandPath(), n, plural("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

// FlagErrorFunc turns a flag parse error into docker's usage message with
// exit status 125.
func FlagErrorFunc(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	return StatusError{
		Status:     fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, cmd.UseLine(), cmd.CommandPath()),
		StatusCode: 125,
	}
}
