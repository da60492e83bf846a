package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl   string
		pretty bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] SERVICE [SERVICE...]",
		Short: "Display detailed information on one or more services",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pretty && tmpl != "" {
				return errors.New("--format is incompatible with human friendly format")
			}
			ctx := cmd.Context()
			api := c.Client()
			get := func(ref string) (any, []byte, error) {
				res, err := api.ServiceInspect(ctx, ref, client.ServiceInspectOptions{InsertDefaults: true})
				if err != nil {
					return nil, nil, err
				}
				if pretty {
					return prettyService{Service: res.Service, ctx: ctx, api: api}, nil, nil
				}
				return res.Service, res.Raw, nil
			}
			if pretty {
				return swarmutil.Pretty(c.Out(), args, servicePrettyTemplate, get)
			}
			return format.Inspect(c.Out(), args, tmpl, get)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&tmpl, "format", "f", "", image.InspectFormatHelp)
	f.BoolVar(&pretty, "pretty", false, "Print the information in a human friendly format")
	return cmd
}

func newScaleCommand(c *command.Cli) *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:   "scale SERVICE=REPLICAS [SERVICE=REPLICAS...]",
		Short: "Scale one or multiple replicated services",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := command.RequiresMinArgs(1)(cmd, args); err != nil {
				return err
			}
			for _, a := range args {
				if k, v, ok := strings.Cut(a, "="); !ok || k == "" || v == "" {
					return fmt.Errorf("invalid scale specifier '%s'.\nSee '%s --help'.\n\nUsage:  %s\n\n%s",
						a, cmd.CommandPath(), cmd.UseLine(), cmd.Short)
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var errs []error
			var scaled []string
			for _, a := range args {
				name, num, _ := strings.Cut(a, "=")
				n, err := strconv.ParseUint(num, 10, 64)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: invalid replicas value %s: %w", name, num, err))
					continue
				}
				id, err := scaleOne(ctx, c, name, n)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
					continue
				}
				fmt.Fprintf(c.Out(), "%s scaled to %d\n", name, n)
				scaled = append(scaled, id)
			}
			if !detach {
				for _, id := range scaled {
					if err := waitConverged(ctx, c, id, false); err != nil {
						errs = append(errs, err)
					}
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "Exit immediately instead of waiting for the service to converge")
	return cmd
}

func scaleOne(ctx context.Context, c *command.Cli, name string, n uint64) (string, error) {
	api := c.Client()
	svc, err := api.ServiceInspect(ctx, name, client.ServiceInspectOptions{})
	if err != nil {
		return "", err
	}
	spec := svc.Service.Spec
	switch {
	case spec.Mode.Replicated != nil:
		spec.Mode.Replicated.Replicas = &n
	case spec.Mode.ReplicatedJob != nil:
		spec.Mode.ReplicatedJob.TotalCompletions = &n
	default:
		return "", errors.New("scale can only be used with replicated or replicated-job mode")
	}
	res, err := api.ServiceUpdate(ctx, svc.Service.ID, client.ServiceUpdateOptions{Version: svc.Service.Version, Spec: spec})
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.Err(), w)
	}
	return svc.Service.ID, nil
}

func newRollbackCommand(c *command.Cli) *cobra.Command {
	var detach, quiet bool
	cmd := &cobra.Command{
		Use:   "rollback [OPTIONS] SERVICE",
		Short: "Revert changes to a service's configuration",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			svc, err := api.ServiceInspect(ctx, args[0], client.ServiceInspectOptions{})
			if err != nil {
				return err
			}
			res, err := api.ServiceUpdate(ctx, svc.Service.ID, client.ServiceUpdateOptions{
				Version: svc.Service.Version, Spec: svc.Service.Spec, Rollback: "previous"})
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(c.Err(), w)
			}
			fmt.Fprintln(c.Out(), args[0])
			if detach {
				return nil
			}
			return waitConverged(ctx, c, svc.Service.ID, quiet)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&detach, "detach", "d", false, "Exit immediately instead of waiting for the service to converge")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress progress output")
	return cmd
}

// prettyService is what `service inspect --pretty` renders.
type prettyService struct {
	swarm.Service
	ctx context.Context
	api *client.Client
}

func (p prettyService) ModeName() string { return (&Row{S: p.Service}).Mode() }
func (p prettyService) Replicas() string {
	if r := p.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		return strconv.FormatUint(*r.Replicas, 10)
	}
	return ""
}
func (p prettyService) Image() string {
	if p.Spec.TaskTemplate.ContainerSpec == nil {
		return ""
	}
	return p.Spec.TaskTemplate.ContainerSpec.Image
}
func (p prettyService) Args() string {
	if p.Spec.TaskTemplate.ContainerSpec == nil {
		return ""
	}
	return strings.Join(p.Spec.TaskTemplate.ContainerSpec.Args, " ")
}
func (p prettyService) EndpointMode() string {
	if p.Spec.EndpointSpec == nil {
		return ""
	}
	return string(p.Spec.EndpointSpec.Mode)
}

// servicePrettyTemplate is docker's service pretty format. Its whitespace
// (tabs, trailing spaces after list items) is docker's, matched byte for byte.
const servicePrettyTemplate = `
ID:		{{.ID}}
Name:		{{.Spec.Name}}
{{- if .Spec.Labels }}
Labels:
{{- range $k, $v := .Spec.Labels }}
 {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Service Mode:	{{ .ModeName | title }}
{{- if .Spec.Mode.Replicated }}
 Replicas:	{{ .Replicas }}
{{- end }}
{{- with .Spec.TaskTemplate.Placement }}
Placement:
{{- if .Constraints }}
 Constraints:	{{ .Constraints }}
{{- end }}
{{- if .Preferences }}
 Preferences:   {{ $.PlacementPrefs }}
{{- end }}{{ end }}
{{- with .Spec.UpdateConfig }}
UpdateConfig:
 Parallelism:	{{ .Parallelism }}
{{- if .Delay.Nanoseconds }}
 Delay:		{{ .Delay }}
{{- end }}
 On failure:	{{ .FailureAction }}
{{- if .Monitor.Nanoseconds }}
 Monitoring Period: {{ .Monitor }}
{{- end }}
 Max failure ratio: {{ .MaxFailureRatio }}
 Update order:      {{ .Order }}
{{- end }}
{{- with .Spec.RollbackConfig }}
RollbackConfig:
 Parallelism:	{{ .Parallelism }}
{{- if .Delay.Nanoseconds }}
 Delay:		{{ .Delay }}
{{- end }}
 On failure:	{{ .FailureAction }}
{{- if .Monitor.Nanoseconds }}
 Monitoring Period: {{ .Monitor }}
{{- end }}
 Max failure ratio: {{ .MaxFailureRatio }}
 Rollback order:    {{ .Order }}
{{- end }}
ContainerSpec:
 Image:		{{ .Image }}
{{- with .Spec.TaskTemplate.ContainerSpec }}
{{- if .Args }}
 Args:		{{ range .Args }}{{ . }} {{ end }}
{{- end }}
{{- if .Env }}
 Env:		{{ range .Env }}{{ . }} {{ end }}
{{- end }}
{{- if .Dir }}
 Dir:		{{ .Dir }}
{{- end }}
{{- if .Init }}
 Init:		{{ deref .Init }}
{{- end }}
{{- if .User }}
 User: {{ .User }}
{{- end }}
{{- if .Mounts }}
Mounts:
{{- range .Mounts }}
 Target:	{{ .Target }}
  Source:	{{ .Source }}
  ReadOnly:	{{ .ReadOnly }}
  Type:		{{ .Type }}
{{- end }}{{ end }}
{{- if .Configs }}
Configs:
{{- range .Configs }}
 Target:	{{ if .File }}{{ .File.Name }}{{ end }}
  Source:	{{ .ConfigName }}
{{- end }}{{ end }}
{{- if .Secrets }}
Secrets:
{{- range .Secrets }}
 Target:	{{ if .File }}{{ .File.Name }}{{ end }}
  Source:	{{ .SecretName }}
{{- end }}{{ end }}
{{- end }}
{{- if .Spec.TaskTemplate.Resources }}
Resources:
{{- if or .LimitCPU .LimitMemory }}
 Limits:
{{- if .LimitCPU }}
  CPU:		{{ .LimitCPU }}
{{- end }}
{{- if .LimitMemory }}
  Memory:	{{ .LimitMemory }}
{{- end }}{{ end }}
{{- if or .ReserveCPU .ReserveMemory }}
 Reservations:
{{- if .ReserveCPU }}
  CPU:		{{ .ReserveCPU }}
{{- end }}
{{- if .ReserveMemory }}
  Memory:	{{ .ReserveMemory }}
{{- end }}{{ end }}{{ end }}
{{- if .Spec.TaskTemplate.Networks }}
Networks:
{{- range .Spec.TaskTemplate.Networks }} {{ .Target }}{{ end }} {{ end }}
Endpoint Mode:	{{ .EndpointMode }}
{{- if .Endpoint.Ports }}
Ports:
{{- range $port := .Endpoint.Ports }}
 PublishedPort = {{ $port.PublishedPort }}
  Protocol = {{ $port.Protocol }}
  TargetPort = {{ $port.TargetPort }}
  PublishMode = {{ $port.PublishMode }}
{{- end }} {{ end -}}
{{- with .Spec.TaskTemplate.ContainerSpec }}{{ with .Healthcheck }}
 Healthcheck:
  Interval = {{ .Interval }}
  Retries = {{ .Retries }}
  StartPeriod =	{{ .StartPeriod }}
  Timeout =	{{ .Timeout }}
  {{- if .Test }}
  Tests:
	{{- range $test := .Test }}
	 Test = {{ $test }}
  {{- end }} {{ end -}}
{{- end }}{{ end }}
`

// PlacementPrefs prints preferences as docker does ("spread=node.labels.a").
func (p prettyService) PlacementPrefs() []string {
	var out []string
	if pl := p.Spec.TaskTemplate.Placement; pl != nil {
		for _, pp := range pl.Preferences {
			if pp.Spread != nil {
				out = append(out, "spread="+pp.Spread.SpreadDescriptor)
			}
		}
	}
	return out
}

func (p prettyService) res() *swarm.ResourceRequirements {
	if r := p.Spec.TaskTemplate.Resources; r != nil {
		return r
	}
	return &swarm.ResourceRequirements{}
}

func cpus(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(float64(n)/1e9, 'g', -1, 64)
}

func mem(n int64) string {
	if n == 0 {
		return ""
	}
	return units.BytesSize(float64(n))
}

func (p prettyService) LimitCPU() string {
	if l := p.res().Limits; l != nil {
		return cpus(l.NanoCPUs)
	}
	return ""
}
func (p prettyService) LimitMemory() string {
	if l := p.res().Limits; l != nil {
		return mem(l.MemoryBytes)
	}
	return ""
}
func (p prettyService) ReserveCPU() string {
	if r := p.res().Reservations; r != nil {
		return cpus(r.NanoCPUs)
	}
	return ""
}
func (p prettyService) ReserveMemory() string {
	if r := p.res().Reservations; r != nil {
		return mem(r.MemoryBytes)
	}
	return ""
}
