package compose

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/compose"
	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRunCommand(e *env) *cobra.Command {
	var (
		o                               compose.RunOptions
		detach, noTty, build, quietPull bool
		removeOrphans                   bool
		interactive                     bool
		entrypoint                      string
		env, labels, volumes, publish   []string
	)
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command on a service",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := e.load(ctx, args[0])
			if err != nil {
				return err
			}
			o.Service = args[0]
			if len(args) > 1 {
				o.Command = args[1:]
			}
			if cmd.Flags().Changed("entrypoint") {
				o.Entrypoint = []string{}
				if entrypoint != "" {
					o.Entrypoint = strings.Fields(entrypoint)
				}
			}
			o.Env = resolveEnv(env)
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				o.Labels[k] = v
			}
			for _, v := range volumes {
				vc, err := format.ParseVolume(v)
				if err != nil {
					return err
				}
				// A relative bind is relative to the project, as in the file.
				if vc.Type == types.VolumeTypeBind && !filepath.IsAbs(vc.Source) {
					vc.Source = filepath.Join(p.WorkingDir, vc.Source)
				}
				o.Volumes = append(o.Volumes, vc)
			}
			for _, pub := range publish {
				pcs, err := types.ParsePortConfig(pub)
				if err != nil {
					return err
				}
				o.Ports = append(o.Ports, pcs...)
			}
			o.Interactive = interactive && !detach
			o.Tty = !noTty && !detach && e.c.IsInTerminal()
			s := e.service()
			co := compose.CreateOptions{RemoveOrphans: removeOrphans, QuietPull: quietPull, IgnoreOrphans: true}
			if build {
				co.Build = &compose.BuildOptions{Out: e.c.Err()}
			}
			if err := s.RunDependencies(ctx, p, o, co); err != nil {
				return err
			}
			id, name, err := s.CreateOneOff(ctx, p, o)
			if err != nil {
				return err
			}
			cl := e.c.Client()
			if detach {
				if _, err := cl.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
					return err
				}
				fmt.Fprintln(e.c.Out(), name)
				return nil
			}
			code, err := e.attachRun(ctx, id, o)
			if o.Rm {
				_, _ = cl.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true})
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return command.StatusError{StatusCode: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&detach, "detach", "d", false, "Run container in background and print container ID")
	f.BoolVar(&o.Rm, "rm", false, "Automatically remove the container when it exits")
	f.StringVar(&o.Name, "name", "", "Assign a name to the container")
	f.StringArrayVarP(&env, "env", "e", nil, "Set environment variables")
	f.StringArrayVarP(&labels, "label", "l", nil, "Add or override a label")
	f.StringArrayVarP(&volumes, "volume", "v", nil, "Bind mount a volume")
	f.StringArrayVarP(&publish, "publish", "p", nil, "Publish a container's port(s) to the host")
	f.BoolVar(&o.ServicePorts, "service-ports", false, "Run command with all service's ports enabled and mapped to the host")
	f.BoolVar(&o.UseAliases, "use-aliases", false, "Use the service's network useAliases in the network(s) the container connects to")
	f.BoolVar(&o.NoDeps, "no-deps", false, "Don't start linked services")
	f.BoolVarP(&noTty, "no-TTY", "T", false, "Disable pseudo-TTY allocation (default: auto-detected)")
	f.BoolVarP(&interactive, "interactive", "i", true, "Keep STDIN open even if not attached")
	f.StringVar(&entrypoint, "entrypoint", "", "Override the entrypoint of the image")
	f.StringVarP(&o.User, "user", "u", "", "Run as specified username or uid")
	f.StringVarP(&o.WorkingDir, "workdir", "w", "", "Working directory inside the container")
	f.BoolVar(&build, "build", false, "Build image before starting container")
	f.BoolVar(&quietPull, "quiet-pull", false, "Pull without printing progress information")
	f.BoolVar(&removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	return cmd
}

// attachRun attaches to the one-off container, starts it and returns its
// exit code once it ends.
func (e *env) attachRun(ctx context.Context, id string, o compose.RunOptions) (int, error) {
	cl := e.c.Client()
	att, err := cl.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: o.Interactive, Stdout: true, Stderr: true})
	if err != nil {
		return 1, err
	}
	wait := cl.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cl.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		att.Close()
		return 1, err
	}
	streamErr := make(chan error, 1)
	go func() { streamErr <- e.stream(ctx, att.HijackedResponse, o.Tty, o.Interactive) }()
	select {
	case r := <-wait.Result:
		<-streamErr
		if r.Error != nil && r.Error.Message != "" {
			return 1, fmt.Errorf("%s", r.Error.Message)
		}
		return int(r.StatusCode), nil
	case err := <-wait.Error:
		return 1, err
	}
}
