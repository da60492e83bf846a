package container

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

func newStartCommand(c *command.Cli) *cobra.Command {
	var (
		attach, interactive bool
		detachKeys          string
	)
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateDetachKeys(detachKeys); err != nil {
				return err
			}
			if attach || interactive {
				if len(args) > 1 {
					return errors.New("you cannot start and attach multiple containers at once")
				}
				return startAttached(cmd.Context(), c, args[0], interactive, detachKeys)
			}
			var failed []string
			for _, id := range args {
				if _, err := c.Client().ContainerStart(cmd.Context(), id, client.ContainerStartOptions{}); err != nil {
					fmt.Fprintln(c.Err(), err)
					failed = append(failed, id)
					continue
				}
				fmt.Fprintln(c.Out(), id)
			}
			if len(failed) > 0 {
				return fmt.Errorf("Error: failed to start containers: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	f.BoolVarP(&interactive, "interactive", "i", false, "Attach container's STDIN")
	f.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func startAttached(ctx context.Context, c *command.Cli, name string, interactive bool, detachKeys string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cl := c.Client()
	info, err := cl.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := info.Container
	if !ctr.Config.Tty {
		stop := forwardSignals(context.WithoutCancel(ctx), cl, ctr.ID)
		defer stop()
	}
	stdin := interactive && ctr.Config.OpenStdin
	resp, err := cl.ContainerAttach(ctx, ctr.ID, client.ContainerAttachOptions{
		Stream: true, Stdin: stdin, Stdout: true, Stderr: true, DetachKeys: detachKeys,
	})
	if err != nil {
		return err
	}
	defer resp.Close()
	s := &streamer{cli: c, out: c.Out(), err: c.Err(), resp: resp.HijackedResponse, tty: ctr.Config.Tty, detachKeys: detachKeys}
	if stdin {
		s.in = c.In()
	}
	errCh := make(chan error, 1)
	go func() { errCh <- s.stream(ctx) }()
	autoRemove := ctr.HostConfig != nil && ctr.HostConfig.AutoRemove
	statusCh := waitExitOrRemoved(ctx, c, cl, ctr.ID, autoRemove)
	if _, err := cl.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		cancel()
		<-errCh
		if autoRemove {
			<-statusCh
		}
		return err
	}
	if ctr.Config.Tty && c.IsOutTerminal() {
		monitorTTYSize(ctx, c, containerResizer(cl, ctr.ID))
	}
	if err := <-errCh; err != nil {
		if _, ok := err.(term.EscapeError); ok {
			return nil
		}
		return err
	}
	if status := <-statusCh; status != 0 {
		return command.StatusError{StatusCode: status}
	}
	return nil
}
