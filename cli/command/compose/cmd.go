// Package compose is `docker compose` / `berth compose`: the Compose v2
// command line (flags, output, exit codes) over the compose package, which
// does the work through the Engine API.
package compose

import (
	"context"
	"os"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

// projectFlags are the flags every compose subcommand inherits.
type projectFlags struct {
	files    []string
	name     string
	dir      string
	envFiles []string
	profiles []string
	progress string
	ansi     string
	parallel int
	dryRun   bool
	compat   bool
	allRes   bool
}

func (f *projectFlags) options(services []string) compose.LoadOptions {
	return compose.LoadOptions{
		Files: f.files, ProjectName: f.name, ProjectDir: f.dir,
		EnvFiles: f.envFiles, Profiles: f.profiles, Services: services, All: f.allRes,
	}
}

// env is the state one invocation shares between its subcommands.
type env struct {
	c  *command.Cli
	pf *projectFlags
}

func (e *env) service() *compose.Service {
	var p compose.Progress
	if e.pf.progress != "quiet" {
		p = &compose.PlainProgress{W: e.c.Err()}
	}
	compose.Warn = e.c.Err()
	logrus.SetOutput(e.c.Err())
	return compose.New(e.c.Client(), p)
}

// quiet is a Service that reports nothing (for commands whose output is
// data, such as ps or port).
func (e *env) quiet() *compose.Service {
	compose.Warn = e.c.Err()
	logrus.SetOutput(e.c.Err())
	return compose.New(e.c.Client(), nil)
}

func (e *env) load(ctx context.Context, services ...string) (*types.Project, error) {
	return compose.Load(ctx, e.pf.options(services))
}

// projectName works without a compose file when -p or
// COMPOSE_PROJECT_NAME names the project (down, ps, logs ... do).
func (e *env) projectName(ctx context.Context) (string, *types.Project, error) {
	p, err := e.load(ctx)
	if err == nil {
		return p.Name, p, nil
	}
	if e.pf.name != "" {
		return e.pf.name, nil, nil
	}
	if v := os.Getenv("COMPOSE_PROJECT_NAME"); v != "" && len(e.pf.files) == 0 {
		return v, nil, nil
	}
	return "", nil, err
}

// NewCommand returns the compose command group.
func NewCommand(c *command.Cli) *cobra.Command {
	pf := &projectFlags{}
	e := &env{c: c, pf: pf}
	cmd := &cobra.Command{
		Use:              "compose [OPTIONS] COMMAND",
		Short:            "Docker Compose",
		TraverseChildren: true,
		Args:             command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	// Local to the group (parsed before the subcommand through
	// TraverseChildren) as in Compose: `logs -f` is --follow, not --file.
	f := cmd.Flags()
	f.StringArrayVarP(&pf.files, "file", "f", nil, "Compose configuration files")
	f.StringVarP(&pf.name, "project-name", "p", "", "Project name")
	f.StringVar(&pf.dir, "project-directory", "", "Specify an alternate working directory\n(default: the path of the, first specified, Compose file)")
	f.StringArrayVar(&pf.envFiles, "env-file", nil, "Specify an alternate environment file")
	f.StringArrayVar(&pf.profiles, "profile", nil, "Specify a profile to enable")
	f.StringVar(&pf.progress, "progress", "auto", `Set type of progress output (auto, tty, plain, json, quiet)`)
	f.StringVar(&pf.ansi, "ansi", "auto", `Control when to print ANSI control characters ("never"|"always"|"auto")`)
	f.IntVar(&pf.parallel, "parallel", -1, "Control max parallelism, -1 for unlimited")
	f.BoolVar(&pf.dryRun, "dry-run", false, "Execute command in dry run mode")
	f.BoolVar(&pf.compat, "compatibility", false, "Run compose in backward compatibility mode")
	f.BoolVar(&pf.allRes, "all-resources", false, "Include all resources, even those not used by services")
	cmd.AddCommand(
		newUpCommand(e), newDownCommand(e), newPsCommand(e), newLogsCommand(e),
		newCreateCommand(e), newStartCommand(e), newStopCommand(e), newRestartCommand(e),
		newKillCommand(e), newRmCommand(e), newPauseCommand(e), newUnpauseCommand(e),
		newExecCommand(e), newRunCommand(e), newConfigCommand(e), newTopCommand(e),
		newPortCommand(e), newImagesCommand(e), newLsCommand(e), newEventsCommand(e),
		newBuildCommand(e), newPullCommand(e), newPushCommand(e), newVersionCommand(e),
		newScaleCommand(e), newWaitCommand(e),
	)
	return cmd
}

// useColor follows --ansi: auto means colour on a terminal.
func (e *env) useColor(noColor bool) bool {
	if noColor {
		return false
	}
	switch e.pf.ansi {
	case "never":
		return false
	case "always":
		return true
	}
	return e.c.IsOutTerminal()
}

// timeoutFlag turns -t/--timeout into the API's optional seconds.
func timeoutFlag(cmd *cobra.Command, v int) *int {
	if cmd.Flags().Changed("timeout") {
		return &v
	}
	return nil
}
