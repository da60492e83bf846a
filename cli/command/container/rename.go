package container

import (
	"errors"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRenameCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, name := strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
			if old == "" || name == "" {
				return errors.New("Error: Neither old nor new names may be empty")
			}
			if _, err := c.Client().ContainerRename(cmd.Context(), old, client.ContainerRenameOptions{NewName: name}); err != nil {
				return fmt.Errorf("Error: failed to rename container named %s: %w", old, err)
			}
			return nil
		},
	}
}
