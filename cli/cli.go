// Package cli builds the docker-compatible command line: the root command
// with docker's global flags, the container commands, and the image/system
// command groups, and maps errors to docker's exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/berth-project/berth/cli/command/builder"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/cli/command"
	composecmd "github.com/berth-project/berth/cli/command/compose"
	configcmd "github.com/berth-project/berth/cli/command/config"
	"github.com/berth-project/berth/cli/command/container"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/command/network"
	"github.com/berth-project/berth/cli/command/node"
	"github.com/berth-project/berth/cli/command/registry"
	"github.com/berth-project/berth/cli/command/secret"
	"github.com/berth-project/berth/cli/command/service"
	stackcmd "github.com/berth-project/berth/cli/command/stack"
	swarmcmd "github.com/berth-project/berth/cli/command/swarm"
	"github.com/berth-project/berth/cli/command/system"
	"github.com/berth-project/berth/cli/command/volume"
	"github.com/spf13/cobra"
)

// Version is the version string printed by -v/--version; the build may
// override it with -ldflags.
var Version = "28.2.2"

// GitCommit is shown after "build" in the version line.
var GitCommit = "berth"

// Streams lets callers (tests, the integrator) substitute the standard
// streams; nil means the process's own.
type Streams struct {
	In  io.ReadCloser
	Out io.Writer
	Err io.Writer
}

// Run executes the CLI with args (args[0] is the program name) and returns
// the process exit code. extra commands (e.g. `daemon`) join the root.
func Run(args []string, extra ...*cobra.Command) int {
	return RunWithStreams(Streams{}, args, extra...)
}

// RunWithStreams is Run over explicit streams.
func RunWithStreams(s Streams, args []string, extra ...*cobra.Command) int {
	c := command.NewCli(s.In, s.Out, s.Err)
	return RunCli(c, args, extra...)
}

// RunCli is Run over a prepared Cli (tests inject client options there).
func RunCli(c *command.Cli, args []string, extra ...*cobra.Command) int {
	name := "docker"
	if len(args) > 0 {
		if b := filepath.Base(args[0]); strings.HasPrefix(b, "berth") {
			name = "berth"
		}
		args = args[1:]
	}
	c.Name = name
	root := NewRootCommand(c, name, extra...)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	if msg := command.DockerConnMessage(err.Error()); msg != "" {
		fmt.Fprintln(c.Err(), msg)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var se command.StatusError
	if errors.As(err, &se) && se.StatusCode != 0 {
		return se.StatusCode
	}
	var sp *command.StatusError
	if errors.As(err, &sp) && sp != nil && sp.StatusCode != 0 {
		return sp.StatusCode
	}
	return 1
}

type hostList struct{ hosts *[]string }

func (h hostList) String() string {
	if h.hosts == nil || len(*h.hosts) == 0 {
		return ""
	}
	return "[" + strings.Join(*h.hosts, ",") + "]"
}
func (h hostList) Set(v string) error { *h.hosts = append(*h.hosts, v); return nil }
func (h hostList) Type() string       { return "list" }

// NewRootCommand builds the root command tree for program name.
func NewRootCommand(c *command.Cli, name string, extra ...*cobra.Command) *cobra.Command {
	var (
		hosts    []string
		showVer  bool
		logLevel string
		ctxName  string
	)
	home, _ := os.UserHomeDir()
	root := &cobra.Command{
		Use:              name + " [OPTIONS] COMMAND [ARG...]",
		Short:            "A self-sufficient runtime for containers",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		Args:             command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVer {
				fmt.Fprintf(c.Out(), "%s version %s, build %s\n", displayName(name), Version, GitCommit)
				return nil
			}
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(hosts) > 1:
				return errors.New("Failed to initialize: unable to resolve docker endpoint: Specify only one -H")
			case len(hosts) == 1:
				c.Host = hosts[0]
			case os.Getenv("DOCKER_HOST") != "":
				c.Host = os.Getenv("DOCKER_HOST")
			}
			switch logLevel {
			case "debug", "info", "warn", "error", "fatal", "panic", "trace":
			default:
				return fmt.Errorf("Failed to initialize: unable to parse logging level: %s", logLevel)
			}
			_ = ctxName // contexts are not supported: the flag is accepted and ignored
			tlsCfg, err := clientTLS(cmd.Root().Flags())
			if err != nil {
				return fmt.Errorf("Failed to initialize: %w", err)
			}
			c.TLS = tlsCfg
			// Build the client now so a malformed host fails cleanly here
			// instead of leaving commands with a nil client.
			if _, err := c.NewClient(); err != nil {
				return fmt.Errorf("Failed to initialize: unable to resolve docker endpoint: %w", err)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(command.FlagErrorFunc)
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpTemplate(helpTemplate)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(c.Out())
	root.SetErr(c.Err())

	f := root.Flags()
	f.StringVar(&c.ConfigDir, "config", filepath.Join(home, ".docker"), "Location of client config files")
	f.StringVarP(&ctxName, "context", "c", "", `Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")`)
	f.BoolVarP(&c.Debug, "debug", "D", false, "Enable debug mode")
	f.VarP(hostList{&hosts}, "host", "H", "Daemon socket to connect to")
	f.StringVarP(&logLevel, "log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	f.Bool("tls", os.Getenv("DOCKER_TLS") != "", "Use TLS; implied by --tlsverify")
	f.String("tlscacert", filepath.Join(certDir(home), "ca.pem"), "Trust certs signed only by this CA")
	f.String("tlscert", filepath.Join(certDir(home), "cert.pem"), "Path to TLS certificate file")
	f.String("tlskey", filepath.Join(certDir(home), "key.pem"), "Path to TLS key file")
	f.Bool("tlsverify", os.Getenv("DOCKER_TLS_VERIFY") != "", "Use TLS and verify the remote")
	f.BoolVarP(&showVer, "version", "v", false, "Print version information and quit")

	container.AddCommands(root, c)
	// Image and system command groups are owned by another package.
	image.AddCommands(root, c)
	network.AddCommands(root, c)
	registry.AddCommands(root, c)
	volume.AddCommands(root, c)
	swarmcmd.AddCommands(root, c)
	node.AddCommands(root, c)
	service.AddCommands(root, c)
	secret.AddCommands(root, c)
	configcmd.AddCommands(root, c)
	system.AddCommands(root, c)
	builder.AddCommands(root, c)
	root.AddCommand(composecmd.NewCommand(c))
	stackcmd.AddCommands(root, c)
	for _, e := range extra {
		root.AddCommand(e)
	}
	fixUsage(root)
	return root
}

func displayName(name string) string {
	if name == "docker" {
		return "Docker"
	}
	return name
}

// fixUsage makes every command's usage line look like docker's (no
// cobra "[flags]" suffix).
func fixUsage(cmd *cobra.Command) {
	cmd.DisableFlagsInUseLine = true
	// docker hides --help except where a command declares it itself.
	if cmd.Flags().Lookup("help") == nil {
		cmd.InitDefaultHelpFlag()
		if f := cmd.Flags().Lookup("help"); f != nil {
			f.Hidden = true
			f.Usage = "Print usage"
		}
	}
	for _, sub := range cmd.Commands() {
		fixUsage(sub)
	}
}

// Help and usage text laid out like the docker CLI's ("Usage:  ...",
// "Options:", "Commands:").
const usageTemplate = `Usage:  {{if .HasAvailableSubCommands}}{{.CommandPath}}{{if .HasAvailableLocalFlags}} [OPTIONS]{{end}} COMMAND{{else}}{{.UseLine}}{{end}}
{{with .Short}}
{{.}}
{{end}}{{if gt (len .Aliases) 0}}
Aliases:
  {{.CommandPath}}, {{range $i, $a := .Aliases}}{{if $i}}, {{end}}{{$.Parent.CommandPath}} {{$a}}{{end}}
{{end}}{{if .HasAvailableSubCommands}}
Commands:
{{range .Commands}}{{if .IsAvailableCommand}}  {{rpad .Name .NamePadding }} {{.Short}}
{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}
Options:
{{.LocalFlags.FlagUsagesWrapped 80 | trimTrailingWhitespaces}}
{{end}}{{if .HasAvailableInheritedFlags}}
Global Options:
{{.InheritedFlags.FlagUsagesWrapped 80 | trimTrailingWhitespaces}}
{{end}}{{if .HasAvailableSubCommands}}
Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{end}}`

const helpTemplate = `
{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`
