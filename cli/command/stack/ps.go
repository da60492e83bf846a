package stack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	servicesTable = "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}"
	tasksTable    = "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}"
)

func newServicesCommand(c *command.Cli) *cobra.Command {
	var (
		quiet bool
		tmpl  string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "services [OPTIONS] STACK",
		Short: "List the services in the stack",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateStackName(args[0]); err != nil {
				return err
			}
			f := filter.Value()
			f.Add("label", LabelNamespace+"="+args[0])
			res, err := c.Client().ServiceList(cmd.Context(), client.ServiceListOptions{Filters: f, Status: !quiet})
			if err != nil {
				return err
			}
			if len(res.Items) == 0 {
				fmt.Fprintln(c.Err(), "Nothing found in stack:", args[0])
				return nil
			}
			items := res.Items
			sort.Slice(items, func(i, j int) bool { return format.NaturalLess(items[i].Spec.Name, items[j].Spec.Name) })
			rows := make([]any, 0, len(items))
			for i := range items {
				rows = append(rows, &serviceRow{s: items[i]})
			}
			t := format.Resolve(tmpl, servicesTable)
			if quiet && (tmpl == "" || tmpl == format.TableKey) {
				t = "{{.ID}}"
			}
			return format.Write(c.Out(), t, servicesTable, rows, format.Headers{
				"ID": "ID", "Name": "NAME", "Mode": "MODE", "Replicas": "REPLICAS", "Image": "IMAGE", "Ports": "PORTS",
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	fl.StringVar(&tmpl, "format", "", formatHelp)
	fl.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

type serviceRow struct{ s swarm.Service }

func (r *serviceRow) ID() string   { return format.TruncateID(r.s.ID) }
func (r *serviceRow) Name() string { return r.s.Spec.Name }
func (r *serviceRow) Mode() string {
	switch {
	case r.s.Spec.Mode.Global != nil:
		return "global"
	case r.s.Spec.Mode.ReplicatedJob != nil:
		return "replicated job"
	case r.s.Spec.Mode.GlobalJob != nil:
		return "global job"
	}
	return "replicated"
}
func (r *serviceRow) Replicas() string {
	st := r.s.ServiceStatus
	if st == nil {
		return ""
	}
	out := fmt.Sprintf("%d/%d", st.RunningTasks, st.DesiredTasks)
	if r.s.Spec.Mode.Replicated != nil && r.s.Spec.TaskTemplate.Placement != nil && r.s.Spec.TaskTemplate.Placement.MaxReplicas > 0 {
		out += fmt.Sprintf(" (max %d per node)", r.s.Spec.TaskTemplate.Placement.MaxReplicas)
	}
	return out
}
func (r *serviceRow) Image() string {
	img := ""
	if r.s.Spec.TaskTemplate.ContainerSpec != nil {
		img = r.s.Spec.TaskTemplate.ContainerSpec.Image
	}
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	return img
}
func (r *serviceRow) Ports() string {
	var out []string
	for _, p := range r.s.Endpoint.Ports {
		if p.PublishMode == swarm.PortConfigPublishModeIngress || p.PublishMode == "" {
			out = append(out, fmt.Sprintf("*:%d->%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
		}
	}
	return strings.Join(out, ", ")
}
func (r *serviceRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func newPsCommand(c *command.Cli) *cobra.Command {
	var (
		noTrunc, noResolve, quiet bool
		tmpl                      string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] STACK",
		Short: "List the tasks in the stack",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateStackName(args[0]); err != nil {
				return err
			}
			api := c.Client()
			f := filter.Value()
			f.Add("label", LabelNamespace+"="+args[0])
			res, err := api.TaskList(cmd.Context(), client.TaskListOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Items) == 0 {
				return fmt.Errorf("nothing found in stack: %s", args[0])
			}
			names := map[string]string{} // service and node IDs → names
			resolve := func(kind, id string) string {
				if noResolve || id == "" {
					return id
				}
				if n, ok := names[id]; ok {
					return n
				}
				n := id
				switch kind {
				case "service":
					if s, err := api.ServiceInspect(cmd.Context(), id, client.ServiceInspectOptions{}); err == nil {
						n = s.Service.Spec.Name
					}
				case "node":
					if nd, err := api.NodeInspect(cmd.Context(), id, client.NodeInspectOptions{}); err == nil {
						n = nd.Node.Description.Hostname
						if nd.Node.Spec.Name != "" {
							n = nd.Node.Spec.Name
						}
					}
				}
				names[id] = n
				return n
			}
			tasks := res.Items
			sort.SliceStable(tasks, func(i, j int) bool {
				a, b := tasks[i], tasks[j]
				if a.ServiceID != b.ServiceID {
					return resolve("service", a.ServiceID) < resolve("service", b.ServiceID)
				}
				if a.Slot != b.Slot {
					return a.Slot < b.Slot
				}
				if a.NodeID != b.NodeID {
					return a.NodeID < b.NodeID
				}
				return a.Meta.CreatedAt.After(b.Meta.CreatedAt)
			})
			rows := make([]any, 0, len(tasks))
			prev := ""
			for _, t := range tasks {
				name := resolve("service", t.ServiceID)
				if t.Slot != 0 {
					name += "." + strconv.Itoa(t.Slot)
				} else {
					name += "." + t.NodeID
				}
				if noResolve {
					name = t.ID
				}
				indent := name == prev
				prev = name
				rows = append(rows, &taskRow{t: t, name: name, indent: indent, node: resolve("node", t.NodeID), trunc: !noTrunc})
			}
			t := format.Resolve(tmpl, tasksTable)
			if quiet && (tmpl == "" || tmpl == format.TableKey) {
				t = "{{.ID}}"
			}
			return format.Write(c.Out(), t, tasksTable, rows, format.Headers{
				"ID": "ID", "Name": "NAME", "Image": "IMAGE", "Node": "NODE", "DesiredState": "DESIRED STATE",
				"CurrentState": "CURRENT STATE", "Error": "ERROR", "Ports": "PORTS",
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	fl.BoolVar(&noResolve, "no-resolve", false, "Do not map IDs to Names")
	fl.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display task IDs")
	fl.StringVar(&tmpl, "format", "", formatHelp)
	return cmd
}

type taskRow struct {
	t      swarm.Task
	name   string
	node   string
	indent bool
	trunc  bool
}

func (r *taskRow) ID() string {
	if r.trunc {
		return format.TruncateID(r.t.ID)
	}
	return r.t.ID
}
func (r *taskRow) Name() string {
	if r.indent {
		return ` \_ ` + r.name
	}
	return r.name
}
func (r *taskRow) Image() string {
	img := ""
	if r.t.Spec.ContainerSpec != nil {
		img = r.t.Spec.ContainerSpec.Image
	}
	if r.trunc {
		if i := strings.Index(img, "@"); i >= 0 {
			img = img[:i]
		}
	}
	return img
}
func (r *taskRow) Node() string         { return r.node }
func (r *taskRow) DesiredState() string { return capitalize(string(r.t.DesiredState)) }
func (r *taskRow) CurrentState() string {
	return fmt.Sprintf("%s %s ago", capitalize(string(r.t.Status.State)),
		strings.ToLower(units.HumanDuration(time.Since(r.t.Status.Timestamp))))
}
func (r *taskRow) Error() string {
	e := r.t.Status.Err
	if r.trunc {
		e = format.Ellipsis(e, 30)
	}
	return e
}
func (r *taskRow) Ports() string {
	var out []string
	for _, p := range r.t.Status.PortStatus.Ports {
		out = append(out, fmt.Sprintf("*:%d->%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
	}
	return strings.Join(out, ", ")
}
func (r *taskRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
