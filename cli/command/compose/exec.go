package compose

import (
	"fmt"
	"os"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newExecCommand(e *env) *cobra.Command {
	var (
		detach, noTty, privileged, interactive bool
		env                                    []string
		user, workdir                          string
		index                                  int
	)
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARGS...]",
		Short: "Execute a command in a running container",
		Args:  command.RequiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, p, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			if p != nil {
				if _, err := p.GetService(args[0]); err != nil {
					return err
				}
			}
			c, err := e.replica(cmd, name, args[0], index)
			if err != nil {
				return err
			}
			tty := !noTty && e.c.IsInTerminal()
			cl := e.c.Client()
			res, err := cl.ExecCreate(ctx, c.ID, client.ExecCreateOptions{
				User: user, Privileged: privileged, TTY: tty, AttachStdin: interactive && !detach,
				AttachStdout: !detach, AttachStderr: !detach, Env: resolveEnv(env), WorkingDir: workdir, Cmd: args[1:],
			})
			if err != nil {
				return err
			}
			if detach {
				_, err := cl.ExecStart(ctx, res.ID, client.ExecStartOptions{Detach: true, TTY: tty})
				return err
			}
			att, err := cl.ExecAttach(ctx, res.ID, client.ExecAttachOptions{TTY: tty})
			if err != nil {
				return err
			}
			if err := e.stream(ctx, att.HijackedResponse, tty, interactive); err != nil {
				return err
			}
			ins, err := cl.ExecInspect(ctx, res.ID, client.ExecInspectOptions{})
			if err != nil {
				return err
			}
			if ins.ExitCode != 0 {
				return command.StatusError{StatusCode: ins.ExitCode}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&detach, "detach", "d", false, "Detached mode: Run command in the background")
	f.BoolVarP(&noTty, "no-tty", "T", false, "Disable pseudo-TTY allocation. By default 'docker compose exec' allocates a TTY.")
	f.BoolVarP(&interactive, "interactive", "i", true, "Keep STDIN open even if not attached")
	f.BoolVar(&privileged, "privileged", false, "Give extended privileges to the process")
	f.StringArrayVarP(&env, "env", "e", nil, "Set environment variables")
	f.StringVarP(&user, "user", "u", "", "Run the command as this user")
	f.StringVarP(&workdir, "workdir", "w", "", "Path to workdir directory for this command")
	f.IntVar(&index, "index", 0, "Index of the container if service has multiple replicas")
	return cmd
}

// resolveEnv gives KEY (without =) its value from our environment, as
// compose does; unset ones are dropped.
func resolveEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.Contains(kv, "=") {
			out = append(out, kv)
			continue
		}
		if v, ok := os.LookupEnv(kv); ok {
			out = append(out, fmt.Sprintf("%s=%s", kv, v))
		}
	}
	return out
}

func lookupEnv(k string) (string, bool) { return os.LookupEnv(k) }
