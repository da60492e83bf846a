package node

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/command/task"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const defaultTable = "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}"

// Headers are docker's node ls column titles.
var Headers = format.Headers{
	"ID": "ID", "Self": "", "Hostname": "HOSTNAME", "Status": "STATUS", "Availability": "AVAILABILITY",
	"ManagerStatus": "MANAGER STATUS", "EngineVersion": "ENGINE VERSION", "TLSStatus": "TLS STATUS",
}

// Row is one node in `node ls` templates.
type Row struct {
	N    swarm.Node
	self string
}

func (r *Row) ID() string            { return r.N.ID }
func (r *Row) Self() bool            { return r.N.ID == r.self }
func (r *Row) Hostname() string      { return r.N.Description.Hostname }
func (r *Row) Status() string        { return swarmutil.PrettyPrint(string(r.N.Status.State)) }
func (r *Row) Availability() string  { return swarmutil.PrettyPrint(string(r.N.Spec.Availability)) }
func (r *Row) EngineVersion() string { return r.N.Description.Engine.EngineVersion }

// ManagerStatus is "Leader", the raft reachability, or empty for workers.
func (r *Row) ManagerStatus() string {
	m := r.N.ManagerStatus
	if m == nil {
		return ""
	}
	if m.Leader {
		return "Leader"
	}
	return swarmutil.PrettyPrint(string(m.Reachability))
}

// TLSStatus says whether the node's certificate is from the current root.
func (r *Row) TLSStatus() string {
	if r.N.Description.TLSInfo.TrustRoot == "" {
		return "Unknown"
	}
	return "Ready"
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
		Short:   "List nodes in the swarm",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			res, err := api.NodeList(ctx, client.NodeListOptions{Filters: filter.Value()})
			if err != nil {
				return err
			}
			info, err := api.Info(ctx, client.InfoOptions{})
			if err != nil {
				return err
			}
			nodes := res.Items
			sort.Slice(nodes, func(i, j int) bool {
				return format.NaturalLess(nodes[i].Description.Hostname, nodes[j].Description.Hostname)
			})
			rows := make([]any, 0, len(nodes))
			for i := range nodes {
				rows = append(rows, &Row{N: nodes[i], self: info.Info.Swarm.NodeID})
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

// Pretty is the value `node inspect --pretty` renders.
type Pretty struct{ swarm.Node }

func (p Pretty) StatusState() string      { return swarmutil.PrettyPrint(string(p.Status.State)) }
func (p Pretty) SpecAvailability() string { return swarmutil.PrettyPrint(string(p.Spec.Availability)) }
func (p Pretty) Reachability() string {
	return swarmutil.PrettyPrint(string(p.ManagerStatus.Reachability))
}
func (p Pretty) CPUs() int64    { return p.Description.Resources.NanoCPUs / 1e9 }
func (p Pretty) Memory() string { return units.BytesSize(float64(p.Description.Resources.MemoryBytes)) }

// Plugins groups the engine's plugins by type, names joined like docker.
func (p Pretty) Plugins() map[string]string {
	byType := map[string][]string{}
	for _, pl := range p.Description.Engine.Plugins {
		byType[pl.Type] = append(byType[pl.Type], pl.Name)
	}
	out := make(map[string]string, len(byType))
	for t, names := range byType {
		sort.Strings(names)
		out[t] = strings.Join(names, ", ")
	}
	return out
}
func (p Pretty) IssuerSubject() string {
	return base64.StdEncoding.EncodeToString(p.Description.TLSInfo.CertIssuerSubject)
}
func (p Pretty) IssuerPublicKey() string {
	return base64.StdEncoding.EncodeToString(p.Description.TLSInfo.CertIssuerPublicKey)
}

const prettyTemplate = `ID:			{{.ID}}
{{- if .Spec.Name }}
Name:			{{.Spec.Name}}
{{- end }}
{{- if .Spec.Labels }}
Labels:
{{- range $k, $v := .Spec.Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Hostname:              	{{.Description.Hostname}}
Joined at:             	{{pretty .CreatedAt}}
Status:
 State:			{{.StatusState}}
 {{- if .Status.Message}}
 Message:              	{{.Status.Message}}
 {{- end}}
 Availability:         	{{.SpecAvailability}}
 {{- if .Status.Addr}}
 Address:		{{.Status.Addr}}
 {{- end}}
{{- if .ManagerStatus}}
Manager Status:
 Address:		{{.ManagerStatus.Addr}}
 Raft Status:		{{.Reachability}}
 {{- if .ManagerStatus.Leader}}
 Leader:		Yes
 {{- else}}
 Leader:		No
 {{- end}}
{{- end}}
Platform:
 Operating System:	{{.Description.Platform.OS}}
 Architecture:		{{.Description.Platform.Architecture}}
Resources:
 CPUs:			{{.CPUs}}
 Memory:		{{.Memory}}
{{- if .Plugins}}
Plugins:
{{- range $k, $v := .Plugins }}
 {{ $k }}:{{if $v }}		{{ $v }}{{ end }}
{{- end }}
{{- end }}
Engine Version:		{{.Description.Engine.EngineVersion}}
{{- if .Description.Engine.Labels}}
Engine Labels:
{{- range $k, $v := .Description.Engine.Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{- end }}
{{- if .Description.TLSInfo.TrustRoot}}
TLS Info:
 TrustRoot:
{{.Description.TLSInfo.TrustRoot}}
 Issuer Subject:	{{.IssuerSubject}}
 Issuer Public Key:	{{.IssuerPublicKey}}
{{- end}}`

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl   string
		pretty bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] self|NODE [NODE...]",
		Short: "Display detailed information on one or more nodes",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			get := func(ref string) (any, []byte, error) {
				id, err := resolveSelf(ctx, api, ref)
				if err != nil {
					return nil, nil, err
				}
				res, err := api.NodeInspect(ctx, id, client.NodeInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				if pretty {
					return Pretty{res.Node}, nil, nil
				}
				return res.Node, res.Raw, nil
			}
			if pretty {
				return swarmutil.Pretty(c.Out(), args, prettyTemplate, get)
			}
			return format.Inspect(c.Out(), args, tmpl, get)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&tmpl, "format", "f", "", image.InspectFormatHelp)
	f.BoolVar(&pretty, "pretty", false, "Print the information in a human friendly format")
	return cmd
}

func newPsCommand(c *command.Cli) *cobra.Command {
	var (
		noTrunc, noResolve, quiet bool
		tmpl                      string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [NODE...]",
		Short: "List tasks running on one or more nodes, defaults to current node",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			if len(args) == 0 {
				args = []string{"self"}
			}
			var tasks []swarm.Task
			for _, ref := range args {
				id, err := resolveSelf(ctx, api, ref)
				if err != nil {
					return err
				}
				n, err := api.NodeInspect(ctx, id, client.NodeInspectOptions{})
				if err != nil {
					return err
				}
				f := filter.Value()
				f.Add("node", n.Node.ID)
				res, err := api.TaskList(ctx, client.TaskListOptions{Filters: f})
				if err != nil {
					return err
				}
				tasks = append(tasks, res.Items...)
			}
			return task.Print(ctx, c.Out(), tasks, &task.Resolver{API: api, NoResolve: noResolve}, !noTrunc, quiet, tmpl)
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
