package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

type runOptions struct {
	detach     bool
	sigProxy   bool
	detachKeys string
}

func newRunCommand(c *command.Cli) *cobra.Command {
	var (
		ro    runOptions
		copts *containerOptions
	)
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cc, err := parseOrStatus(c, cmd.Flags(), copts, args, "run")
			if err != nil {
				return err
			}
			return runContainer(cmd.Context(), c, &ro, copts, cc)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&ro.detach, "detach", "d", false, "Run container in background and print container ID")
	f.BoolVar(&ro.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	f.StringVar(&ro.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	copts = addFlags(f)
	return cmd
}

// toStatusError maps create/start failures to docker's exit codes: 127
// when the command was not found, 126 when it cannot be executed, 125
// for any other daemon error.
func toStatusError(c *command.Cli, err error) error {
	msg := err.Error()
	code := 125
	switch {
	case client.IsErrConnectionFailed(err):
		err = errors.New(command.DockerConnMessage(msg))
	case strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "system cannot find the file specified"):
		code = 127
	case strings.Contains(msg, syscall.EACCES.Error()) || strings.Contains(msg, syscall.EISDIR.Error()):
		code = 126
	}
	return command.StatusError{Status: withHelp(c, err, "run").Error(), StatusCode: code}
}

func runContainer(ctx context.Context, c *command.Cli, ro *runOptions, copts *containerOptions, cc *containerConfig) error {
	cfg := cc.Config
	cl, err := c.NewClient()
	if err != nil {
		return err
	}
	if !ro.detach {
		if cfg.AttachStdin && cfg.Tty && !c.IsInTerminal() {
			return errors.New("the input device is not a TTY")
		}
	} else {
		if copts.attach.Len() != 0 {
			return errors.New("conflicting options: cannot specify both --attach and --detach")
		}
		cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr, cfg.StdinOnce = false, false, false, false
	}
	if err := validateDetachKeys(ro.detachKeys); err != nil {
		return err
	}

	id, err := createContainer(ctx, c, cc, copts)
	if err != nil {
		return toStatusError(c, err)
	}
	if ro.sigProxy {
		stop := forwardSignals(context.WithoutCancel(ctx), cl, id)
		defer stop()
	}

	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()

	attach := cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr
	var errCh chan error
	if attach {
		resp, err := cl.ContainerAttach(ctx, id, client.ContainerAttachOptions{
			Stream: true, Stdin: cfg.AttachStdin, Stdout: cfg.AttachStdout,
			Stderr: cfg.AttachStderr, DetachKeys: ro.detachKeys,
		})
		if err != nil {
			return err
		}
		defer resp.Close()
		s := &streamer{cli: c, resp: resp.HijackedResponse, tty: cfg.Tty, detachKeys: ro.detachKeys}
		if cfg.AttachStdin {
			s.in = c.In()
		}
		if cfg.AttachStdout {
			s.out = c.Out()
		}
		if cfg.AttachStderr {
			if cfg.Tty {
				s.err = c.Out()
			} else {
				s.err = c.Err()
			}
		}
		errCh = make(chan error, 1)
		go func() { errCh <- s.stream(ctx) }()
	}

	statusCtx, cancelStatus := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStatus()
	statusCh := waitExitOrRemoved(statusCtx, c, cl, id, copts.autoRemove)

	if _, err := cl.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		if attach {
			cancel()
			<-errCh
		}
		if copts.autoRemove {
			<-statusCh
		}
		return toStatusError(c, err)
	}

	if !attach {
		fmt.Fprintln(c.Out(), id)
		return nil
	}
	if cfg.Tty && c.IsOutTerminal() {
		monitorTTYSize(ctx, c, containerResizer(cl, id))
	}

	select {
	case err := <-errCh:
		if err != nil {
			if _, ok := err.(term.EscapeError); ok {
				return nil
			}
			return err
		}
		if status := <-statusCh; status != 0 {
			return command.StatusError{StatusCode: status}
		}
	case status := <-statusCh:
		if !cfg.AttachStdout && !cfg.AttachStderr {
			cancel()
		}
		<-errCh
		if status != 0 {
			return command.StatusError{StatusCode: status}
		}
	}
	return nil
}

// waitExitOrRemoved reports the container's exit code once it exits (or
// is removed, with --rm). 125 means the wait itself failed.
func waitExitOrRemoved(ctx context.Context, c *command.Cli, cl *client.Client, id string, autoRemove bool) <-chan int {
	cond := container.WaitConditionNextExit
	if autoRemove {
		cond = container.WaitConditionRemoved
	}
	res := cl.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: cond})
	ch := make(chan int, 1)
	go func() {
		select {
		case r := <-res.Result:
			if r.Error != nil {
				fmt.Fprintf(c.Err(), "Error waiting for container: %v\n", r.Error.Message)
				ch <- 125
				return
			}
			ch <- int(r.StatusCode)
		case err := <-res.Error:
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(c.Err(), "Error waiting for container: %v\n", err)
			}
			ch <- 125
		}
	}()
	return ch
}

var _ io.Writer = discard{}
