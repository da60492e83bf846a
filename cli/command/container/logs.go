package container

import (
	"io"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newLogsCommand(c *command.Cli) *cobra.Command {
	var (
		follow, timestamps, details bool
		since, until, tail          string
	)
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cl := c.Client()
			info, err := cl.ContainerInspect(ctx, args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			rc, err := cl.ContainerLogs(ctx, info.Container.ID, client.ContainerLogsOptions{
				ShowStdout: true, ShowStderr: true, Since: since, Until: until,
				Timestamps: timestamps, Follow: follow, Tail: tail, Details: details,
			})
			if err != nil {
				return err
			}
			defer rc.Close()
			if info.Container.Config != nil && info.Container.Config.Tty {
				_, err = io.Copy(c.Out(), rc)
			} else {
				_, err = stdcopy.StdCopy(c.Out(), c.Err(), rc)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "Follow log output")
	f.StringVar(&since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.StringVar(&until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.BoolVarP(&timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&details, "details", false, "Show extra details provided to logs")
	f.StringVarP(&tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}
