package container

import (
	"context"
	"errors"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newAttachCommand(c *command.Cli) *cobra.Command {
	var (
		noStdin, sigProxy bool
		detachKeys        string
	)
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			cl := c.Client()
			info, err := cl.ContainerInspect(ctx, args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			ctr := info.Container
			if ctr.State == nil || !ctr.State.Running {
				return errors.New("You cannot attach to a stopped container, start it first")
			}
			if ctr.State.Paused {
				return errors.New("You cannot attach to a paused container, unpause it first")
			}
			if ctr.State.Restarting {
				return errors.New("You cannot attach to a restarting container, wait until it is running")
			}
			if err := validateDetachKeys(detachKeys); err != nil {
				return err
			}
			stdin := !noStdin && ctr.Config.OpenStdin
			if stdin && ctr.Config.Tty && !c.IsInTerminal() {
				return errors.New("the input device is not a TTY")
			}
			if sigProxy && !ctr.Config.Tty {
				stop := forwardSignals(context.WithoutCancel(ctx), cl, ctr.ID)
				defer stop()
			}
			resp, err := cl.ContainerAttach(ctx, args[0], client.ContainerAttachOptions{
				Stream: true, Stdin: stdin, Stdout: true, Stderr: true, DetachKeys: detachKeys,
			})
			if err != nil {
				return err
			}
			defer resp.Close()
			if ctr.Config.Tty && c.IsOutTerminal() {
				monitorTTYSize(ctx, c, containerResizer(cl, ctr.ID))
			}
			statusCh := waitExitOrRemoved(context.WithoutCancel(ctx), c, cl, ctr.ID, false)
			s := &streamer{cli: c, out: c.Out(), err: c.Err(), resp: resp.HijackedResponse, tty: ctr.Config.Tty, detachKeys: detachKeys}
			if stdin {
				s.in = c.In()
			}
			// A detach ends attach with the term.EscapeError ("read escape
			// sequence", exit 1) as in the docker CLI; run and start -a
			// treat it as success.
			if err := s.stream(ctx); err != nil {
				return err
			}
			if status := <-statusCh; status != 0 {
				return command.StatusError{StatusCode: status}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	f.BoolVar(&sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	f.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}
