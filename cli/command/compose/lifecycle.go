package compose

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/berth-project/berth/compose"
	"github.com/spf13/cobra"
)

func newStartCommand(e *env) *cobra.Command {
	var wait bool
	var waitTimeout int
	cmd := &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start services",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			if err := checkServices(p.ServiceNames(), args); err != nil {
				return err
			}
			return e.service().Start(cmd.Context(), p, compose.StartOptions{
				Services: args, Wait: wait, WaitTimeout: time.Duration(waitTimeout) * time.Second,
			})
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait for services to be running|healthy. Implies detached mode.")
	cmd.Flags().IntVar(&waitTimeout, "wait-timeout", 0, "Maximum duration in seconds to wait for the project to be running|healthy")
	return cmd
}

func newStopCommand(e *env) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] [SERVICE...]",
		Short: "Stop services",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			if err := checkServices(p.ServiceNames(), args); err != nil {
				return err
			}
			return e.service().Stop(cmd.Context(), p, args, timeoutFlag(cmd, timeout))
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "Specify a shutdown timeout in seconds")
	return cmd
}

func newRestartCommand(e *env) *cobra.Command {
	var timeout int
	var noDeps bool
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] [SERVICE...]",
		Short: "Restart service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			if err := checkServices(p.ServiceNames(), args); err != nil {
				return err
			}
			return e.service().Restart(cmd.Context(), p, args, timeoutFlag(cmd, timeout))
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "Specify a shutdown timeout in seconds")
	cmd.Flags().BoolVar(&noDeps, "no-deps", false, "Don't restart dependent services")
	return cmd
}

func newKillCommand(e *env) *cobra.Command {
	var signal string
	var removeOrphans bool
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] [SERVICE...]",
		Short: "Force stop service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			if err := checkServices(p.ServiceNames(), args); err != nil {
				return err
			}
			return e.service().Kill(cmd.Context(), p, args, signal)
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "SIGKILL", "SIGNAL to send to the container")
	cmd.Flags().BoolVar(&removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	return cmd
}

func newPauseCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "pause [SERVICE...]",
		Short: "Pause services",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			return e.service().Pause(cmd.Context(), p, args)
		},
	}
}

func newUnpauseCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause [SERVICE...]",
		Short: "Unpause services",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context())
			if err != nil {
				return err
			}
			return e.service().Unpause(cmd.Context(), p, args)
		},
	}
}

func newRmCommand(e *env) *cobra.Command {
	var force, stop, volumes bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Removes stopped service containers",
		Long:  "Removes stopped service containers\n\nBy default, anonymous volumes attached to containers will not be removed. You\ncan override this with -v. To list all volumes, use \"docker volume ls\".\n\nAny data which is not in a volume will be lost.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := e.load(ctx)
			if err != nil {
				return err
			}
			s := e.service()
			if stop {
				if err := s.Stop(ctx, p, args, nil); err != nil {
					return err
				}
			}
			cs, err := s.Stopped(ctx, p, args, false)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				fmt.Fprintln(e.c.Err(), "No stopped containers")
				return nil
			}
			if !force {
				fmt.Fprintf(e.c.Err(), "Going to remove %s\nAre you sure? [yN] ", strings.Join(compose.ShortNames(cs), ", "))
				line, _ := bufio.NewReader(e.c.In()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return nil
				}
			}
			return s.Remove(ctx, cs, volumes)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Don't ask to confirm removal")
	cmd.Flags().BoolVarP(&stop, "stop", "s", false, "Stop the containers, if required, before removing")
	cmd.Flags().BoolVarP(&volumes, "volumes", "v", false, "Remove any anonymous volumes attached to containers")
	return cmd
}

func checkServices(known, asked []string) error {
	for _, a := range asked {
		if !contains(known, a) {
			return fmt.Errorf("no such service: %s", a)
		}
	}
	return nil
}
