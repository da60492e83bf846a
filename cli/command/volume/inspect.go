package volume

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// docker re-encodes the decoded volume rather than printing the
			// daemon's bytes, so no raw JSON is passed on.
			return format.Inspect(c.Out(), args, tmpl, func(name string) (any, []byte, error) {
				res, err := c.Client().VolumeInspect(cmd.Context(), name, client.VolumeInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				return res.Volume, nil, nil
			})
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", image.InspectFormatHelp)
	return cmd
}
