package stack

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/spf13/cobra"
)

// newConfigCommand is `stack config`: the compose files merged and
// interpolated, as `stack deploy` would read them, without talking to the
// daemon. The YAML is compose-go's rendering of the project, so key order
// and defaults written out differ from docker's own v3 loader.
func newConfigCommand(c *command.Cli) *cobra.Command {
	var (
		files      []string
		skipInterp bool
	)
	cmd := &cobra.Command{
		Use:   "config [OPTIONS]",
		Short: "Outputs the final config file, after doing merges and interpolations",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Normalization would add the default network and prefix
			// names with a stack name this command does not have.
			p, err := readProject(cmd.Context(), files, "stack", c.In(), c.Err(), func(o *loader.Options) {
				o.SkipNormalization = true
				o.SkipInterpolation = skipInterp
			})
			if err != nil {
				return err
			}
			p.Name = ""
			out, err := p.MarshalYAML()
			if err != nil {
				return err
			}
			_, err = c.Out().Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&files, "compose-file", "c", nil, `Path to a Compose file, or "-" to read from stdin`)
	f.BoolVar(&skipInterp, "skip-interpolation", false, "Skip interpolation and output only merged config")
	return cmd
}
