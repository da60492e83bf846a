// Package task prints swarm task lists the way docker's `service ps` and
// `node ps` do: slot names, the " \_ " indent of a slot's older tasks,
// node hostnames and the current state with its age.
package task

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/format"
	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// DefaultTable is docker's task table.
const DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}"

// maxErrLength is where docker cuts a task's error unless --no-trunc.
const maxErrLength = 30

// Headers are docker's task column titles.
var Headers = format.Headers{
	"ID": "ID", "Name": "NAME", "Image": "IMAGE", "Node": "NODE", "DesiredState": "DESIRED STATE",
	"CurrentState": "CURRENT STATE", "Error": "ERROR", "Ports": "PORTS",
}

// Row is one task in templates.
type Row struct {
	T     swarm.Task
	name  string
	node  string
	trunc bool
	now   time.Time
}

func (r *Row) ID() string {
	if r.trunc {
		return format.TruncateID(r.T.ID)
	}
	return r.T.ID
}
func (r *Row) Name() string { return r.name }
func (r *Row) Node() string { return r.node }

// Image drops the digest of a tagged reference unless --no-trunc.
func (r *Row) Image() string {
	var image string
	if r.T.Spec.ContainerSpec != nil {
		image = r.T.Spec.ContainerSpec.Image
	}
	if r.trunc {
		if ref, err := reference.ParseNormalizedNamed(image); err == nil {
			if nt, ok := ref.(reference.NamedTagged); ok {
				if t, err := reference.WithTag(reference.TrimNamed(nt), nt.Tag()); err == nil {
					image = reference.FamiliarString(t)
				}
			}
		}
	}
	return image
}

func (r *Row) DesiredState() string { return swarmutil.PrettyPrint(r.T.DesiredState) }

func (r *Row) CurrentState() string {
	return fmt.Sprintf("%s %s ago", swarmutil.PrettyPrint(r.T.Status.State),
		strings.ToLower(units.HumanDuration(r.now.Sub(r.T.Status.Timestamp))))
}

func (r *Row) Error() string {
	e := r.T.Status.Err
	if r.trunc {
		e = format.Ellipsis(e, maxErrLength)
	}
	if e != "" {
		e = `"` + e + `"`
	}
	return e
}

func (r *Row) Ports() string {
	ports := make([]string, 0, len(r.T.Status.PortStatus.Ports))
	for _, p := range r.T.Status.PortStatus.Ports {
		ports = append(ports, fmt.Sprintf("*:%d->%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
	}
	return strings.Join(ports, ",")
}

// MarshalJSON is what `--format json` prints.
func (r *Row) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

// Resolver names services and nodes by ID, each looked up once.
type Resolver struct {
	API       *client.Client
	NoResolve bool
	services  map[string]string
	nodes     map[string]string
}

func (r *Resolver) service(ctx context.Context, id string) string {
	if r.NoResolve {
		return id
	}
	if n, ok := r.services[id]; ok {
		return n
	}
	name := id
	if res, err := r.API.ServiceInspect(ctx, id, client.ServiceInspectOptions{}); err == nil {
		name = res.Service.Spec.Name
	}
	if r.services == nil {
		r.services = map[string]string{}
	}
	r.services[id] = name
	return name
}

func (r *Resolver) node(ctx context.Context, id string) string {
	if r.NoResolve || id == "" {
		return id
	}
	if n, ok := r.nodes[id]; ok {
		return n
	}
	name := id
	if res, err := r.API.NodeInspect(ctx, id, client.NodeInspectOptions{}); err == nil {
		name = res.Node.Description.Hostname
		if res.Node.Spec.Name != "" {
			name = res.Node.Spec.Name
		}
	}
	if r.nodes == nil {
		r.nodes = map[string]string{}
	}
	r.nodes[id] = name
	return name
}

// Rows names and orders tasks like docker: by slot name, newest first
// within a slot, the older ones indented in table output.
func Rows(ctx context.Context, tasks []swarm.Task, res *Resolver, trunc, table bool, now time.Time) []any {
	names := make([]string, len(tasks))
	idx := make([]int, len(tasks))
	for i, t := range tasks {
		svc := res.service(ctx, t.ServiceID)
		if t.Slot != 0 {
			names[i] = fmt.Sprintf("%v.%v", svc, t.Slot)
		} else {
			names[i] = fmt.Sprintf("%v.%v", svc, t.NodeID)
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if names[i] != names[j] {
			return names[i] < names[j]
		}
		return tasks[j].CreatedAt.Before(tasks[i].CreatedAt)
	})
	rows := make([]any, 0, len(tasks))
	prev := ""
	for _, i := range idx {
		name := names[i]
		if table && name == prev {
			name = ` \_ ` + name
		}
		prev = names[i]
		rows = append(rows, &Row{T: tasks[i], name: name, node: res.node(ctx, tasks[i].NodeID), trunc: trunc, now: now})
	}
	return rows
}

// Print writes tasks with the user's --format (or the default table).
func Print(ctx context.Context, out io.Writer, tasks []swarm.Task, res *Resolver, trunc, quiet bool, userFormat string) error {
	f := swarmutil.ListFormat(userFormat, quiet)
	table := f == "" || format.IsTable(f)
	rows := Rows(ctx, tasks, res, trunc, table, time.Now())
	return format.Write(out, f, DefaultTable, rows, Headers)
}
