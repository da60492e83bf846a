package image

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newTagCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.Client().ImageTag(cmd.Context(), client.ImageTagOptions{Source: args[0], Target: args[1]})
			return err
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}
