package container

import (
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newWaitCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			var errs []error
			for _, id := range args {
				res := cl.ContainerWait(cmd.Context(), id, client.ContainerWaitOptions{})
				select {
				case r := <-res.Result:
					fmt.Fprintln(c.Out(), r.StatusCode)
				case err := <-res.Error:
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
}
