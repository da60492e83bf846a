package container

import (
	"context"
	"errors"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newExecCommand(c *command.Cli) *cobra.Command {
	var (
		interactive, tty, detach, privileged bool
		workdir, user, detachKeys            string
		env                                  = opts.NewListOpts(opts.ValidateEnv)
		envFile                              = opts.NewListOpts(nil)
	)
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  command.RequiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateDetachKeys(detachKeys); err != nil {
				return err
			}
			var envs []string
			for _, f := range envFile.GetAll() {
				e, err := opts.ParseEnvFile(f)
				if err != nil {
					return err
				}
				envs = append(envs, e...)
			}
			envs = append(envs, env.GetAll()...)
			eo := client.ExecCreateOptions{
				User: user, Privileged: privileged, TTY: tty, Env: envs, WorkingDir: workdir,
				Cmd: args[1:], DetachKeys: detachKeys,
			}
			if !detach {
				eo.AttachStdin = interactive
				eo.AttachStdout, eo.AttachStderr = true, true
			}
			cl := c.Client()
			if _, err := cl.ContainerInspect(ctx, args[0], client.ContainerInspectOptions{}); err != nil {
				return err
			}
			if !detach && eo.AttachStdin && tty && !c.IsInTerminal() {
				return errors.New("the input device is not a TTY")
			}
			if fd, ok := c.OutFd(); ok && tty {
				if ws, err := termSize(fd); err == nil {
					eo.ConsoleSize = client.ConsoleSize{Height: uint(ws.Height), Width: uint(ws.Width)}
				}
			}
			resp, err := cl.ExecCreate(ctx, args[0], eo)
			if err != nil {
				return err
			}
			if resp.ID == "" {
				return errors.New("exec ID empty")
			}
			if detach {
				_, err := cl.ExecStart(ctx, resp.ID, client.ExecStartOptions{Detach: true, TTY: tty, ConsoleSize: eo.ConsoleSize})
				return err
			}
			return interactiveExec(ctx, c, cl, eo, resp.ID)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.BoolVarP(&detach, "detach", "d", false, "Detached mode: run command in the background")
	f.StringVarP(&user, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	f.BoolVar(&privileged, "privileged", false, "Give extended privileges to the command")
	f.VarP(env, "env", "e", "Set environment variables")
	f.Var(envFile, "env-file", "Read in a file of environment variables")
	f.StringVarP(&workdir, "workdir", "w", "", "Working directory inside the container")
	return cmd
}

func interactiveExec(ctx context.Context, c *command.Cli, cl *client.Client, eo client.ExecCreateOptions, execID string) error {
	resp, err := cl.ExecAttach(ctx, execID, client.ExecAttachOptions{TTY: eo.TTY, ConsoleSize: eo.ConsoleSize})
	if err != nil {
		return err
	}
	defer resp.Close()
	s := &streamer{cli: c, resp: resp.HijackedResponse, tty: eo.TTY, detachKeys: eo.DetachKeys}
	if eo.AttachStdin {
		s.in = c.In()
	}
	if eo.AttachStdout {
		s.out = c.Out()
	}
	if eo.AttachStderr {
		if eo.TTY {
			s.err = c.Out()
		} else {
			s.err = c.Err()
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if eo.TTY && c.IsOutTerminal() {
		monitorTTYSize(sctx, c, execResizer(cl, execID))
	}
	if err := s.stream(sctx); err != nil {
		return err
	}
	ins, err := cl.ExecInspect(ctx, execID, client.ExecInspectOptions{})
	if err != nil {
		return err
	}
	if ins.ExitCode != 0 {
		return command.StatusError{StatusCode: ins.ExitCode}
	}
	return nil
}
