package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
)

// createFlags are shared by up and create.
type createFlags struct {
	build, noBuild, forceRecreate, noRecreate, removeOrphans, quietPull bool
	renewAnon                                                           bool
	scale                                                               []string
	pull                                                                string
	timeout                                                             int
}

func (f *createFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.build, "build", false, "Build images before starting containers")
	fl.BoolVar(&f.noBuild, "no-build", false, "Don't build an image, even if it's policy")
	fl.BoolVar(&f.forceRecreate, "force-recreate", false, "Recreate containers even if their configuration and image haven't changed")
	fl.BoolVar(&f.noRecreate, "no-recreate", false, "If containers already exist, don't recreate them. Incompatible with --force-recreate.")
	fl.BoolVar(&f.removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the Compose file")
	fl.BoolVar(&f.quietPull, "quiet-pull", false, "Pull without printing progress information")
	fl.BoolVarP(&f.renewAnon, "renew-anon-volumes", "V", false, "Recreate anonymous volumes instead of retrieving data from the previous containers")
	fl.StringArrayVar(&f.scale, "scale", nil, "Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.")
	fl.StringVar(&f.pull, "pull", "policy", `Pull image before running ("always"|"missing"|"never")`)
}

func (f *createFlags) options(cmd *cobra.Command, p *types.Project) (compose.CreateOptions, error) {
	if f.forceRecreate && f.noRecreate {
		return compose.CreateOptions{}, errors.New("--force-recreate and --no-recreate are incompatible")
	}
	if f.build && f.noBuild {
		return compose.CreateOptions{}, errors.New("--build and --no-build are incompatible")
	}
	o := compose.CreateOptions{Recreate: compose.RecreateDiverged, RemoveOrphans: f.removeOrphans, NoBuild: f.noBuild, QuietPull: f.quietPull, RenewAnonVolumes: f.renewAnon}
	if v := os.Getenv("COMPOSE_REMOVE_ORPHANS"); v != "" && !cmd.Flags().Changed("remove-orphans") {
		o.RemoveOrphans, _ = strconv.ParseBool(v)
	}
	if v := os.Getenv("COMPOSE_IGNORE_ORPHANS"); v != "" {
		o.IgnoreOrphans, _ = strconv.ParseBool(v)
	}
	switch {
	case f.forceRecreate:
		o.Recreate = compose.RecreateForce
	case f.noRecreate:
		o.Recreate = compose.RecreateNever
	}
	if f.build {
		o.Build = &compose.BuildOptions{Out: cmd.ErrOrStderr()}
	}
	if cmd.Flags().Changed("timeout") {
		t := f.timeout
		o.Timeout = &t
	}
	o.Scale = map[string]int{}
	for _, s := range f.scale {
		name, num, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return o, fmt.Errorf("invalid --scale option %q. Should be SERVICE=NUM", s)
		}
		if _, err := p.GetService(name); err != nil {
			return o, err
		}
		o.Scale[name] = n
	}
	switch f.pull {
	case "always", "missing", "never", "build":
		for name, s := range p.Services {
			s.PullPolicy = f.pull
			p.Services[name] = s
		}
	case "policy", "":
	default:
		return o, fmt.Errorf("invalid --pull option %q", f.pull)
	}
	return o, nil
}

// loadFor loads the project for services, dropping their dependencies
// from the selection with --no-deps.
func (e *env) loadFor(ctx context.Context, services []string, noDeps bool) (*types.Project, error) {
	p, err := e.load(ctx, services...)
	if err != nil {
		return nil, err
	}
	if noDeps && len(services) > 0 {
		p, err = p.WithSelectedServices(services, types.IgnoreDependencies)
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newUpCommand(e *env) *cobra.Command {
	var (
		cf                                   createFlags
		detach, noDeps, wait, abort, noStart bool
		noColor, noPrefix, noAttachDeps      bool
		exitCodeFrom                         string
		waitTimeout                          int
	)
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if detach && (abort || exitCodeFrom != "") {
				return errors.New("--abort-on-container-exit and --detach are incompatible")
			}
			if wait {
				detach = true
			}
			p, err := e.loadFor(ctx, args, noDeps)
			if err != nil {
				return err
			}
			if exitCodeFrom != "" {
				if _, err := p.GetService(exitCodeFrom); err != nil {
					return fmt.Errorf("no such service: %s", exitCodeFrom)
				}
			}
			co, err := cf.options(cmd, p)
			if err != nil {
				return err
			}
			s := e.service()
			if err := s.Create(ctx, p, co); err != nil {
				return err
			}
			if noStart {
				return nil
			}
			// Ctrl-C during start or attach stops the project gracefully.
			sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			so := compose.StartOptions{Wait: wait}
			if waitTimeout > 0 {
				so.WaitTimeout = time.Duration(waitTimeout) * time.Second
			}
			if err := s.Start(sigCtx, p, so); err != nil {
				return err
			}
			if detach {
				return nil
			}
			var attach []string
			if len(args) > 0 && !noAttachDeps {
				attach = args
			}
			lp := compose.NewLogPrinter(e.c.Out(), nil, e.useColor(noColor), noPrefix)
			code, err := s.Watch(sigCtx, p, attach, lp, compose.WatchOptions{
				Abort: abort, ExitCodeFrom: exitCodeFrom, Timeout: co.Timeout,
			})
			if err != nil && !errors.Is(err, compose.ErrInterrupted) {
				return err
			}
			if code != 0 {
				return command.StatusError{StatusCode: code}
			}
			return nil
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&detach, "detach", "d", false, "Detached mode: Run containers in the background")
	fl.BoolVar(&noDeps, "no-deps", false, "Don't start linked services")
	fl.BoolVar(&wait, "wait", false, "Wait for services to be running|healthy. Implies detached mode.")
	fl.IntVar(&waitTimeout, "wait-timeout", 0, "Maximum duration in seconds to wait for the project to be running|healthy")
	fl.BoolVar(&abort, "abort-on-container-exit", false, "Stops all containers if any container was stopped. Incompatible with -d")
	fl.StringVar(&exitCodeFrom, "exit-code-from", "", "Return the exit code of the selected service container. Implies --abort-on-container-exit")
	fl.BoolVar(&noStart, "no-start", false, "Don't start the services after creating them")
	fl.BoolVar(&noColor, "no-color", false, "Produce monochrome output")
	fl.BoolVar(&noPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	fl.BoolVar(&noAttachDeps, "attach-dependencies", false, "Automatically attach to log output of dependent services")
	fl.IntVarP(&cf.timeout, "timeout", "t", 0, "Use this timeout in seconds for container shutdown when attached or when containers are already running")
	return cmd
}

func newCreateCommand(e *env) *cobra.Command {
	var cf createFlags
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [SERVICE...]",
		Short: "Creates containers for a service",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := e.load(cmd.Context(), args...)
			if err != nil {
				return err
			}
			co, err := cf.options(cmd, p)
			if err != nil {
				return err
			}
			return e.service().Create(cmd.Context(), p, co)
		},
	}
	cf.register(cmd)
	return cmd
}
