package system

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	apisystem "github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const inspectFormatHelp = image.InspectFormatHelp

type clientInfo struct {
	Version  string `json:",omitempty"`
	Context  string
	Debug    bool
	Plugins  []any
	Warnings []string `json:",omitempty"`
}

// dockerInfo is what `info --format` templates see: the server's Info
// fields at top level plus ClientInfo, as in docker.
type dockerInfo struct {
	*apisystem.Info `json:",omitempty"`
	ServerErrors    []string    `json:",omitempty"`
	ClientInfo      *clientInfo `json:",omitempty"`
	ClientErrors    []string    `json:",omitempty"`
}

func newInfoCommand(c *command.Cli) *cobra.Command {
	var tmplText string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := dockerInfo{ClientInfo: &clientInfo{Version: ClientVersion, Context: ContextName, Debug: c.Debug, Plugins: []any{}}}
			res, err := c.Client().Info(cmd.Context(), client.InfoOptions{})
			if err != nil {
				info.ServerErrors = append(info.ServerErrors, err.Error())
			} else {
				info.Info = &res.Info
			}
			if tmplText != "" {
				return formatInfo(c.Out(), info, tmplText)
			}
			return prettyPrintInfo(c, info)
		},
	}
	cmd.Flags().StringVarP(&tmplText, "format", "f", "", inspectFormatHelp)
	return cmd
}

func formatInfo(out io.Writer, info dockerInfo, text string) error {
	if text == format.JSONKey {
		text = format.JSONFormat
	}
	t, err := format.Parse(text)
	if err != nil {
		return command.StatusError{StatusCode: 64, Status: err.Error()}
	}
	if info.Info == nil {
		info.Info = &apisystem.Info{}
	}
	if err := t.Execute(out, info); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out)
	if len(info.ServerErrors) > 0 {
		return errors.New(strings.Join(info.ServerErrors, "\n"))
	}
	return err
}

func prettyPrintInfo(c *command.Cli, info dockerInfo) error {
	out := c.Out()
	fmt.Fprintln(out, "Client:")
	fmt.Fprintln(out, " Version:   ", info.ClientInfo.Version)
	fmt.Fprintln(out, " Context:   ", info.ClientInfo.Context)
	fmt.Fprintln(out, " Debug Mode:", info.ClientInfo.Debug)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Server:")
	if info.Info != nil {
		for _, err := range printServerInfo(out, c.Err(), info.Info) {
			info.ServerErrors = append(info.ServerErrors, err.Error())
		}
	}
	for _, e := range info.ServerErrors {
		fmt.Fprintln(c.Err(), "ERROR:", e)
	}
	if len(info.ServerErrors) > 0 {
		return errors.New("errors pretty printing info")
	}
	return nil
}

func println2(w io.Writer, label, v string) {
	if v != "" {
		fmt.Fprintln(w, label, v)
	}
}

// printServerInfo prints the daemon part in docker 28's order and wording.
func printServerInfo(w, errw io.Writer, in *apisystem.Info) []error {
	var errs []error
	fmt.Fprintln(w, " Containers:", in.Containers)
	fmt.Fprintln(w, "  Running:", in.ContainersRunning)
	fmt.Fprintln(w, "  Paused:", in.ContainersPaused)
	fmt.Fprintln(w, "  Stopped:", in.ContainersStopped)
	fmt.Fprintln(w, " Images:", in.Images)
	println2(w, " Server Version:", in.ServerVersion)
	println2(w, " Storage Driver:", in.Driver)
	for _, p := range in.DriverStatus {
		fmt.Fprintf(w, "  %s: %s\n", p[0], p[1])
	}
	for _, p := range in.SystemStatus {
		fmt.Fprintf(w, " %s: %s\n", p[0], p[1])
	}
	println2(w, " Logging Driver:", in.LoggingDriver)
	println2(w, " Cgroup Driver:", in.CgroupDriver)
	println2(w, " Cgroup Version:", in.CgroupVersion)
	fmt.Fprintln(w, " Plugins:")
	fmt.Fprintln(w, "  Volume:", strings.Join(in.Plugins.Volume, " "))
	fmt.Fprintln(w, "  Network:", strings.Join(in.Plugins.Network, " "))
	if len(in.Plugins.Authorization) != 0 {
		fmt.Fprintln(w, "  Authorization:", strings.Join(in.Plugins.Authorization, " "))
	}
	fmt.Fprintln(w, "  Log:", strings.Join(in.Plugins.Log, " "))
	if len(in.CDISpecDirs) > 0 {
		fmt.Fprintln(w, " CDI spec directories:")
		for _, d := range in.CDISpecDirs {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	state := string(in.Swarm.LocalNodeState)
	if state == "" {
		state = "inactive"
	}
	fmt.Fprintln(w, " Swarm:", state)
	if len(in.Runtimes) > 0 {
		names := make([]string, 0, len(in.Runtimes))
		for n := range in.Runtimes {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w, " Runtimes:", strings.Join(names, " "))
		fmt.Fprintln(w, " Default Runtime:", in.DefaultRuntime)
	}
	if in.OSType == "linux" {
		fmt.Fprintln(w, " Init Binary:", in.InitBinary)
		fmt.Fprintln(w, " containerd version:", in.ContainerdCommit.ID)
		fmt.Fprintln(w, " runc version:", in.RuncCommit.ID)
		fmt.Fprintln(w, " init version:", in.InitCommit.ID)
		if len(in.SecurityOptions) != 0 {
			errs = append(errs, printSecurityOptions(w, in.SecurityOptions)...)
		}
	}
	println2(w, " Kernel Version:", in.KernelVersion)
	println2(w, " Operating System:", in.OperatingSystem)
	println2(w, " OSType:", in.OSType)
	println2(w, " Architecture:", in.Architecture)
	fmt.Fprintln(w, " CPUs:", in.NCPU)
	fmt.Fprintln(w, " Total Memory:", units.BytesSize(float64(in.MemTotal)))
	println2(w, " Name:", in.Name)
	println2(w, " ID:", in.ID)
	fmt.Fprintln(w, " Docker Root Dir:", in.DockerRootDir)
	fmt.Fprintln(w, " Debug Mode:", in.Debug)
	if in.Debug {
		fmt.Fprintln(w, "  File Descriptors:", in.NFd)
		fmt.Fprintln(w, "  Goroutines:", in.NGoroutines)
		fmt.Fprintln(w, "  System Time:", in.SystemTime)
		fmt.Fprintln(w, "  EventsListeners:", in.NEventsListener)
	}
	println2(w, " HTTP Proxy:", in.HTTPProxy)
	println2(w, " HTTPS Proxy:", in.HTTPSProxy)
	println2(w, " No Proxy:", in.NoProxy)
	if len(in.Labels) > 0 {
		fmt.Fprintln(w, " Labels:")
		for _, l := range in.Labels {
			fmt.Fprintln(w, "  "+l)
		}
	}
	fmt.Fprintln(w, " Experimental:", in.ExperimentalBuild)
	if rc := in.RegistryConfig; rc != nil && (len(rc.InsecureRegistryCIDRs) > 0 || len(rc.IndexConfigs) > 0) {
		fmt.Fprintln(w, " Insecure Registries:")
		for _, ic := range rc.IndexConfigs {
			if !ic.Secure {
				fmt.Fprintln(w, "  "+ic.Name)
			}
		}
		for _, cidr := range rc.InsecureRegistryCIDRs {
			fmt.Fprintf(w, "  %s\n", cidr)
		}
	}
	fmt.Fprintln(w, " Live Restore Enabled:", in.LiveRestoreEnabled)
	if len(in.DefaultAddressPools) > 0 {
		fmt.Fprintln(w, " Default Address Pools:")
		for _, p := range in.DefaultAddressPools {
			fmt.Fprintf(w, "   Base: %s, Size: %d\n", p.Base, p.Size)
		}
	}
	fmt.Fprintln(w)
	for _, warn := range in.Warnings {
		fmt.Fprintln(errw, warn)
	}
	return errs
}

// printSecurityOptions decodes "name=seccomp,profile=builtin" entries.
func printSecurityOptions(w io.Writer, opts []string) []error {
	fmt.Fprintln(w, " Security Options:")
	for _, so := range opts {
		name := ""
		var profile string
		for _, kv := range strings.Split(so, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return []error{fmt.Errorf("invalid security option %q", so)}
			}
			switch k {
			case "name":
				name = v
			case "profile":
				profile = v
			}
		}
		fmt.Fprintln(w, "  "+name)
		if profile != "" {
			fmt.Fprintln(w, "   Profile:", profile)
		}
	}
	return nil
}
