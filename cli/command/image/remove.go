package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRemoveCommand(c *command.Cli) *cobra.Command {
	var force, noPrune bool
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRemove(cmd.Context(), c, args, force, noPrune)
		},
		DisableFlagsInUseLine: true,
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force removal of the image")
	cmd.Flags().BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

// runRemove removes each image in turn; like docker, with --force only
// not-found errors are downgraded to messages on stderr.
func runRemove(ctx context.Context, c *command.Cli, images []string, force, noPrune bool) error {
	opts := client.ImageRemoveOptions{Force: force, PruneChildren: !noPrune}
	fatal := false
	var errs []error
	for _, img := range images {
		res, err := c.Client().ImageRemove(ctx, img, opts)
		if err != nil {
			if !cerrdefs.IsNotFound(err) {
				fatal = true
			}
			errs = append(errs, err)
			continue
		}
		for _, d := range res.Items {
			if d.Deleted != "" {
				fmt.Fprintln(c.Out(), "Deleted:", d.Deleted)
			} else {
				fmt.Fprintln(c.Out(), "Untagged:", d.Untagged)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		if !force || fatal {
			return err
		}
		fmt.Fprintln(c.Err(), err)
	}
	return nil
}
