// Package secret implements docker's `secret` commands (create, ls,
// inspect, rm) over the Engine API client, printing what the docker CLI
// v28 prints.
package secret

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
		Use:   "secret",
		Short: "Manage Swarm secrets",
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
		labels                 []string
		driver, templateDriver string
	)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] SECRET [file|-]",
		Short: "Create a secret from a file or STDIN as content",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := createSpec(c, args, labels, driver, templateDriver)
			if err != nil {
				return err
			}
			res, err := c.Client().SecretCreate(cmd.Context(), client.SecretCreateOptions{Spec: spec})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), res.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&labels, "label", "l", nil, "Secret labels")
	f.StringVarP(&driver, "driver", "d", "", "Secret driver")
	f.StringVar(&templateDriver, "template-driver", "", "Template driver")
	return cmd
}

// createSpec builds the SecretSpec: the payload comes from the file (or
// stdin) unless a driver provides the secret.
func createSpec(c *command.Cli, args, labels []string, driver, templateDriver string) (swarm.SecretSpec, error) {
	spec := swarm.SecretSpec{Annotations: swarm.Annotations{Name: args[0], Labels: swarmutil.Labels(labels)}}
	if driver != "" {
		spec.Driver = &swarm.Driver{Name: driver}
	} else {
		if len(args) < 2 {
			return spec, fmt.Errorf("secret data must be provided through a file or STDIN, or by using a secret driver")
		}
		b, err := swarmutil.ReadPayload(c.In(), args[1])
		if err != nil {
			return spec, err
		}
		spec.Data = b
	}
	if templateDriver != "" {
		spec.Templating = &swarm.Driver{Name: templateDriver}
	}
	return spec, nil
}

// Headers are docker's secret ls column titles.
var Headers = format.Headers{
	"ID": "ID", "Name": "NAME", "Driver": "DRIVER", "CreatedAt": "CREATED", "UpdatedAt": "UPDATED", "Labels": "LABELS",
}

const defaultTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"

// Row is one secret in `secret ls` templates.
type Row struct{ S swarm.Secret }

func (r *Row) ID() string   { return r.S.ID }
func (r *Row) Name() string { return r.S.Spec.Annotations.Name }
func (r *Row) Driver() string {
	if r.S.Spec.Driver == nil {
		return ""
	}
	return r.S.Spec.Driver.Name
}
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
		Short:   "List secrets",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().SecretList(cmd.Context(), client.SecretListOptions{Filters: filter.Value()})
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

const prettyTemplate = `ID:              {{.ID}}
Name:              {{.Spec.Name}}
{{- if .Spec.Labels }}
Labels:
{{- range $k, $v := .Spec.Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Driver:            {{if .Spec.Driver}}{{.Spec.Driver.Name}}{{end}}
Created at:        {{pretty .CreatedAt}}
Updated at:        {{pretty .UpdatedAt}}`

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl   string
		pretty bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] SECRET [SECRET...]",
		Short: "Display detailed information on one or more secrets",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			get := func(ref string) (any, []byte, error) {
				res, err := c.Client().SecretInspect(cmd.Context(), ref, client.SecretInspectOptions{})
				if err != nil {
					return nil, nil, err
				}
				return res.Secret, res.Raw, nil
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
		Use:     "rm SECRET [SECRET...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more secrets",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return swarmutil.RemoveEach(c.Out(), args, func(n string) error {
				_, err := c.Client().SecretRemove(cmd.Context(), n, client.SecretRemoveOptions{})
				return err
			})
		},
	}
}
