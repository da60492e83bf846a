package compose

import (
	"github.com/berth-project/berth/compose"
	"github.com/spf13/cobra"
)

func newLogsCommand(e *env) *cobra.Command {
	var (
		o       compose.LogOptions
		noColor bool
	)
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "View output from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			name, p, err := e.projectName(cmd.Context())
			if err != nil {
				return err
			}
			if p != nil {
				for _, a := range args {
					if _, err := p.GetService(a); err != nil {
						return err
					}
				}
			}
			o.Color = e.useColor(noColor)
			return e.quiet().Logs(cmd.Context(), name, args, o, e.c.Out())
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output")
	f.StringVarP(&o.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs for each container")
	f.StringVar(&o.Since, "since", "", `Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)`)
	f.StringVar(&o.Until, "until", "", `Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)`)
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&noColor, "no-color", false, "Produce monochrome output")
	f.BoolVar(&o.NoPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	f.IntVar(&o.Index, "index", 0, "index of the container if service has multiple replicas")
	return cmd
}
