package compose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/compose"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newScaleCommand(e *env) *cobra.Command {
	var noDeps bool
	cmd := &cobra.Command{
		Use:   "scale [SERVICE=REPLICAS...]",
		Short: "Scale services ",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			scale := map[string]int{}
			var names []string
			for _, a := range args {
				name, num, ok := strings.Cut(a, "=")
				n, err := strconv.Atoi(num)
				if !ok || err != nil || n < 0 {
					return fmt.Errorf("invalid scale specifier: %s", a)
				}
				scale[name] = n
				names = append(names, name)
			}
			p, err := e.loadFor(ctx, names, noDeps)
			if err != nil {
				return err
			}
			s := e.service()
			// Scaling changes the number of replicas only.
			if err := s.Create(ctx, p, compose.CreateOptions{Recreate: compose.RecreateNever, Scale: scale, IgnoreOrphans: true}); err != nil {
				return err
			}
			return s.Start(ctx, p, compose.StartOptions{})
		},
	}
	cmd.Flags().BoolVar(&noDeps, "no-deps", false, "Don't start linked services")
	return cmd
}

func newWaitCommand(e *env) *cobra.Command {
	var downProject bool
	cmd := &cobra.Command{
		Use:   "wait SERVICE [SERVICE...] [OPTIONS]",
		Short: "Block until containers of all (or specified) services stop.",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, p, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			if p != nil {
				if err := checkServices(p.ServiceNames(), args); err != nil {
					return err
				}
			}
			cs, err := e.quiet().Containers(ctx, name, compose.OneoffExclude, true, args...)
			if err != nil {
				return err
			}
			code := 0
			for _, c := range cs {
				w := e.c.Client().ContainerWait(ctx, c.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
				select {
				case r := <-w.Result:
					fmt.Fprintf(e.c.Out(), "%s exited with code %d\n", compose.ShortName(name, c), r.StatusCode)
					if code == 0 {
						code = int(r.StatusCode)
					}
				case err := <-w.Error:
					return err
				}
			}
			if downProject {
				if err := e.service().Down(ctx, name, p, compose.DownOptions{}); err != nil {
					return err
				}
			}
			if code != 0 {
				return command.StatusError{StatusCode: code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&downProject, "down-project", false, "Drops project when the first container stops")
	return cmd
}
