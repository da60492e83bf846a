package volume

import (
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newCreateCommand(c *command.Cli) *cobra.Command {
	var name, driver string
	driverOpts := opts.NewMapOpts(nil)
	labels := opts.NewListOpts(opts.ValidateLabel)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if name != "" {
					return errors.New("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				name = args[0]
			}
			res, err := c.Client().VolumeCreate(cmd.Context(), client.VolumeCreateOptions{
				Name:       name,
				Driver:     driver,
				DriverOpts: driverOpts.GetAll(),
				Labels:     opts.ConvertKVStringsToMap(labels.GetAll()),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.Volume.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&driver, "driver", "d", "local", "Specify volume driver name")
	f.StringVar(&name, "name", "", "Specify volume name")
	_ = f.MarkHidden("name")
	f.VarP(driverOpts, "opt", "o", "Set driver specific options")
	f.Var(labels, "label", "Set metadata for a volume")
	return cmd
}
