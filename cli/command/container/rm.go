package container

import (
	"context"
	"errors"
	"strings"

	"github.com/berth-project/berth/cli/command"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRmCommand(c *command.Cli) *cobra.Command {
	var force, volumes, links bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			var ignore func(error) bool
			if force {
				// rm -f of a missing container is not an error, as in docker.
				ignore = cerrdefs.IsNotFound
			}
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				id = strings.Trim(id, "/")
				if id == "" {
					return errors.New("container name cannot be empty")
				}
				_, err := cl.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: force, RemoveVolumes: volumes, RemoveLinks: links})
				return err
			}, ignore)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	f.BoolVarP(&volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	f.BoolVarP(&links, "link", "l", false, "Remove the specified link")
	return cmd
}
