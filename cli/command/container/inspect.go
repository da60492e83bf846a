package container

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl string
		size bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			return format.Inspect(c.Out(), args, tmpl, func(ref string) (any, []byte, error) {
				r, err := cl.ContainerInspect(cmd.Context(), ref, client.ContainerInspectOptions{Size: size})
				if err != nil {
					return nil, nil, err
				}
				return r.Container, r.Raw, nil
			})
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates")
	cmd.Flags().BoolVarP(&size, "size", "s", false, "Display total file sizes")
	return cmd
}
