// Package config implements docker's `config` commands (create, ls,
// inspect, rm) over the Engine API client, printing what the docker CLI
// v28 prints.
package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// AddCommands registers the `secret` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Manage Swarm configs",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCreateCommand(c), newListCommand(c), newInspectCommand(c), newRemoveCommand(c))
	root.AddCommand(cmd)
}

func newCreateCommand(c *command.Cli) *cobra.Command {
	var (
		labels         []string
		templateDriver string
	)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] CONFIG file|-",
		Short: "Create a config from a file or STDIN",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := createSpec(c, args, labels, templateDriver)
			if err != nil {
				return err
			}
			res, err := c.Client().ConfigCreate(cmd.Context(), client.ConfigCreateOptions{Spec: spec})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&labels, "label", "l", nil, "Config labels")
	f.StringVar(&templateDriver, "template-driver", "", "Template driver")
	return cmd
}

// createSpec builds the ConfigSpec from the file (or stdin) content.
func createSpec(c *command.Cli, args, labels []string, templateDriver string) (swarm.ConfigSpec, error) {
	spec := swarm.ConfigSpec{Annotations: swarm.Annotations{Name: args[0], Labels: swarmutil.Labels(labels)}}
	b, err := swarmutil.ReadPayload(c.In(), args[1])
	if err != nil {
		return spec, err
	}
	spec.Data = b
	if templateDriver != "" {
		spec.Templating = &swarm.Driver{Name: templateDriver}
	}
	return spec, nil
}

// Headers are docker's config ls column titles.
var Headers = format.Headers{
	"ID": "ID", "Name": "NAME", "CreatedAt": "CREATED", "UpdatedAt": "UPDATED", "Labels": "LABELS",
}

const defaultTable = "table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"

// Row is one config in `config ls` templates.
type Row struct{ S swarm.Config }

func (r *Row) ID() string        { return r.S.ID }
func (r *Row) Name() string      { return r.S.Spec.Annotations.Name }
func (r *Row) CreatedAt() string { return format.Since(r.S.CreatedAt) }
func (r *Row) UpdatedAt() string { return format.Since(r.S.UpdatedAt) }
func (r *Row) Labels() string {
	parts := make([]string, 0, len(r.S.Spec.Labels))
	for k, v := range r.S.Spec.Labels {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}
func (r *Row) Label(name string) string { return r.S.Spec.Labels[name] }

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
		Short:   "List configs",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ConfigList(cmd.Context(), client.ConfigListOptions{Filters: filter.Value()})
			if err != nil {
				return err
			}
			items := res.Items
			sort.Slice(items, func(i, j int) bool {
				return format.NaturalLess(items[i].Spec.Name, items[j].Spec.Name)
			})
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

const prettyTemplate = `ID:			{{.ID}}
Name:			{{.Spec.Name}}
{{- if .Spec.Labels }}
Labels:
{{- range $k, $v := .Spec.Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Created at:            	{{pretty .CreatedAt}}
Updated at:            	{{pretty .UpdatedAt}}
{{- if .Spec.Data }}
Data:
{{ printf "%s" .Spec.Data }}
{{- end }}`

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl   string
		pretty bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONFIG [CONFIG...]",
		Short: "Display detailed information on one or more configs",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			get := func(ref string) (any, []byte, error) {
				res, err := c.Client().ConfigInspect(cmd.Context(), ref, client.ConfigInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				return res.Config, res.Raw, nil
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

func newRemoveCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:     "rm CONFIG [CONFIG...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more configs",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return swarmutil.RemoveEach(c.Out(), args, func(n string) error {
				_, err := c.Client().ConfigRemove(cmd.Context(), n, client.ConfigRemoveOptions{})
				return err
			})
		},
	}
}
