package service

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/command/task"
	"github.com/berth-project/berth/cli/format"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const defaultTable = "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}"

// Headers are docker's service ls column titles.
var Headers = format.Headers{
	"ID": "ID", "Name": "NAME", "Mode": "MODE", "Replicas": "REPLICAS", "Image": "IMAGE", "Ports": "PORTS",
}

// Row is one service in `service ls` templates.
type Row struct{ S swarm.Service }

func (r *Row) ID() string   { return format.TruncateID(r.S.ID) }
func (r *Row) Name() string { return r.S.Spec.Name }

func (r *Row) Mode() string {
	m := r.S.Spec.Mode
	switch {
	case m.Global != nil:
		return "global"
	case m.Replicated != nil:
		return "replicated"
	case m.ReplicatedJob != nil:
		return "replicated job"
	case m.GlobalJob != nil:
		return "global job"
	}
	return ""
}

// Replicas is running/desired, with the completed count for jobs and the
// per-node maximum when one is set.
func (r *Row) Replicas() string {
	st := r.S.ServiceStatus
	if st == nil {
		return ""
	}
	m := r.S.Spec.Mode
	switch {
	case m.Replicated != nil:
		s := fmt.Sprintf("%d/%d", st.RunningTasks, st.DesiredTasks)
		if p := r.S.Spec.TaskTemplate.Placement; p != nil && p.MaxReplicas > 0 {
			s += fmt.Sprintf(" (max %d per node)", p.MaxReplicas)
		}
		return s
	case m.Global != nil:
		return fmt.Sprintf("%d/%d", st.RunningTasks, st.DesiredTasks)
	case m.ReplicatedJob != nil:
		total := uint64(0)
		if m.ReplicatedJob.TotalCompletions != nil {
			total = *m.ReplicatedJob.TotalCompletions
		}
		return fmt.Sprintf("%d/%d (%d/%d completed)", st.RunningTasks, st.DesiredTasks, st.CompletedTasks, total)
	case m.GlobalJob != nil:
		return fmt.Sprintf("%d/%d (%d/%d completed)", st.RunningTasks, st.DesiredTasks, st.CompletedTasks, st.DesiredTasks)
	}
	return ""
}

// Image is the image without its digest.
func (r *Row) Image() string {
	var img string
	if cs := r.S.Spec.TaskTemplate.ContainerSpec; cs != nil {
		img = cs.Image
	}
	if ref, err := reference.ParseNormalizedNamed(img); err == nil {
		if nt, ok := ref.(reference.NamedTagged); ok {
			if t, err := reference.WithTag(reference.TrimNamed(nt), nt.Tag()); err == nil {
				img = reference.FamiliarString(t)
			}
		}
	}
	return img
}

// Ports lists the routing-mesh ports, consecutive ones merged into ranges.
func (r *Row) Ports() string {
	return formatPorts(r.S.Endpoint.Ports)
}

func formatPorts(ports []swarm.PortConfig) string {
	var ing []swarm.PortConfig
	for _, p := range ports {
		if p.PublishMode == swarm.PortConfigPublishModeIngress {
			ing = append(ing, p)
		}
	}
	sort.Slice(ing, func(i, j int) bool {
		if ing[i].Protocol != ing[j].Protocol {
			return ing[i].Protocol < ing[j].Protocol
		}
		return ing[i].PublishedPort < ing[j].PublishedPort
	})
	var out []string
	for i := 0; i < len(ing); {
		j := i
		for j+1 < len(ing) && ing[j+1].Protocol == ing[i].Protocol &&
			ing[j+1].PublishedPort == ing[j].PublishedPort+1 && ing[j+1].TargetPort == ing[j].TargetPort+1 {
			j++
		}
		if i == j {
			out = append(out, fmt.Sprintf("*:%d->%d/%s", ing[i].PublishedPort, ing[i].TargetPort, ing[i].Protocol))
		} else {
			out = append(out, fmt.Sprintf("*:%d-%d->%d-%d/%s", ing[i].PublishedPort, ing[j].PublishedPort, ing[i].TargetPort, ing[j].TargetPort, ing[i].Protocol))
		}
		i = j + 1
	}
	return strings.Join(out, ", ")
}

// MarshalJSON is what `--format json` prints.
func (r *Row) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func newListCommand(c *command.Cli) *cobra.Command {
	var (
		quiet bool
		tmpl  string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List services",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ServiceList(cmd.Context(), client.ServiceListOptions{Filters: filter.Value(), Status: true})
			if err != nil {
				return err
			}
			items := res.Items
			sort.Slice(items, func(i, j int) bool { return format.NaturalLess(items[i].Spec.Name, items[j].Spec.Name) })
			rows := make([]any, 0, len(items))
			for i := range items {
				rows = append(rows, &Row{S: items[i]})
			}
			return format.Write(c.Out(), swarmutil.ListFormat(tmpl, quiet), defaultTable, rows, Headers)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	f.StringVar(&tmpl, "format", "", swarmutil.FormatHelp)
	f.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

func newPsCommand(c *command.Cli) *cobra.Command {
	var (
		noTrunc, noResolve, quiet bool
		tmpl                      string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] SERVICE [SERVICE...]",
		Short: "List the tasks of one or more services",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			f := filter.Value()
			for _, ref := range args {
				svc, err := api.ServiceInspect(ctx, ref, client.ServiceInspectOptions{})
				if err != nil {
					return fmt.Errorf("no such service: %s", ref)
				}
				f.Add("service", svc.Service.ID)
			}
			res, err := api.TaskList(ctx, client.TaskListOptions{Filters: f})
			if err != nil {
				return err
			}
			return task.Print(ctx, c.Out(), res.Items, &task.Resolver{API: api, NoResolve: noResolve}, !noTrunc, quiet, tmpl)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	f.BoolVar(&noResolve, "no-resolve", false, "Do not map IDs to Names")
	f.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	f.StringVar(&tmpl, "format", "", "Pretty-print tasks using a Go template")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display task IDs")
	return cmd
}
