package compose

import (
	"strings"

	"github.com/berth-project/berth/compose"
	"github.com/spf13/cobra"
)

func newBuildCommand(e *env) *cobra.Command {
	var (
		o    compose.BuildOptions
		args []string
	)
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [SERVICE...]",
		Short: "Build or rebuild services",
		RunE: func(cmd *cobra.Command, services []string) error {
			p, err := e.load(cmd.Context(), services...)
			if err != nil {
				return err
			}
			o.Services = services
			o.Out = e.c.Err()
			o.Args = map[string]string{}
			for _, a := range args {
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					if env, set := lookupEnv(k); set {
						v = env
					} else {
						continue
					}
				}
				o.Args[k] = v
			}
			return e.service().Build(cmd.Context(), p, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.NoCache, "no-cache", false, "Do not use cache when building the image")
	f.BoolVar(&o.Pull, "pull", false, "Always attempt to pull a newer version of the image")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "Don't print anything to STDOUT")
	f.StringArrayVar(&args, "build-arg", nil, "Set build-time variables for services")
	return cmd
}

func newPullCommand(e *env) *cobra.Command {
	var o compose.PullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull service images",
		RunE: func(cmd *cobra.Command, services []string) error {
			p, err := e.load(cmd.Context(), services...)
			if err != nil {
				return err
			}
			return e.service().Pull(cmd.Context(), p, o)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "Pull without printing progress information")
	cmd.Flags().BoolVar(&o.IgnoreFailures, "ignore-pull-failures", false, "Pull what it can and ignores images with pull failures")
	cmd.Flags().BoolVar(&o.IncludeDeps, "include-deps", false, "Also pull services declared as dependencies")
	return cmd
}

func newPushCommand(e *env) *cobra.Command {
	var o compose.PushOptions
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] [SERVICE...]",
		Short: "Push service images",
		RunE: func(cmd *cobra.Command, services []string) error {
			p, err := e.load(cmd.Context(), services...)
			if err != nil {
				return err
			}
			return e.service().Push(cmd.Context(), p, o)
		},
	}
	cmd.Flags().BoolVar(&o.IgnoreFailures, "ignore-push-failures", false, "Push what it can and ignores images with push failures")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "Push without printing progress information")
	return cmd
}
