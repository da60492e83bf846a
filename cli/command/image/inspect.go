package image

import (
	"bytes"
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// InspectFormatHelp is the --format help of every inspect command.
const InspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

func newInspectCommand(c *command.Cli) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return format.Inspect(c.Out(), args, tmpl, InspectRef(cmd.Context(), c))
		},
	}
	cmd.Flags().StringVarP(&tmpl, "format", "f", "", InspectFormatHelp)
	cmd.Flags().String("platform", "", "Inspect a specific platform of the multi-platform image.")
	return cmd
}

// InspectRef fetches an image and its raw JSON for format.Inspect.
func InspectRef(ctx context.Context, c *command.Cli) format.GetRefFunc {
	return func(ref string) (any, []byte, error) {
		var raw bytes.Buffer
		res, err := c.Client().ImageInspect(ctx, ref, client.ImageInspectWithRawResponse(&raw))
		if err != nil {
			return nil, nil, err
		}
		return res.InspectResponse, raw.Bytes(), nil
	}
}
