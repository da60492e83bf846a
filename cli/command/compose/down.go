package compose

import (
	"fmt"

	"github.com/berth-project/berth/compose"
	"github.com/spf13/cobra"
)

func newDownCommand(e *env) *cobra.Command {
	var (
		o       compose.DownOptions
		timeout int
	)
	cmd := &cobra.Command{
		Use:   "down [OPTIONS] [SERVICES]",
		Short: "Stop and remove containers, networks",
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Images != "" && o.Images != "local" && o.Images != "all" {
				return fmt.Errorf("invalid value for --rmi: %s", o.Images)
			}
			name, p, err := e.projectName(cmd.Context())
			if err != nil {
				return err
			}
			if p != nil {
				if err := checkServices(p.ServiceNames(), args); err != nil {
					return err
				}
			}
			o.Services = args
			o.Timeout = timeoutFlag(cmd, timeout)
			return e.service().Down(cmd.Context(), name, p, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	f.StringVar(&o.Images, "rmi", "", `Remove images used by services. "local" remove only images that don't have a custom tag ("local"|"all")`)
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers")
	f.IntVarP(&timeout, "timeout", "t", 0, "Specify a shutdown timeout in seconds")
	return cmd
}
