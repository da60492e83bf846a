package network

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl    string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return format.Inspect(c.Out(), args, tmpl, func(name string) (any, []byte, error) {
				res, err := c.Client().NetworkInspect(ctx, name, client.NetworkInspectOptions{Verbose: verbose})
				if err != nil {
					return nil, nil, err
				}
				return res.Network, res.Raw, nil
			})
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", image.InspectFormatHelp)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}
