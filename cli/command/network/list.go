package network

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	defaultTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

	formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
)

var headers = format.Headers{
	"ID":        "NETWORK ID",
	"Name":      "NAME",
	"Driver":    "DRIVER",
	"Scope":     "SCOPE",
	"IPv4":      "IPV4",
	"IPv6":      "IPV6",
	"Internal":  "INTERNAL",
	"Labels":    "LABELS",
	"CreatedAt": "CREATED AT",
}

type listOptions struct {
	quiet, noTrunc bool
	format         string
	filter         *image.FilterOpt
}

func newListCommand(c *command.Cli) *cobra.Command {
	o := listOptions{filter: image.NewFilterOpt()}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only display network IDs")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate the output")
	f.StringVar(&o.format, "format", "", formatHelp)
	f.VarP(o.filter, "filter", "f", `Provide filter values (e.g. "driver=bridge")`)
	return cmd
}

func runList(ctx context.Context, c *command.Cli, o listOptions) error {
	res, err := c.Client().NetworkList(ctx, client.NetworkListOptions{Filters: o.filter.Value()})
	if err != nil {
		return err
	}
	list := res.Items
	sort.Slice(list, func(i, j int) bool { return format.NaturalLess(list[i].Name, list[j].Name) })
	tmpl := o.format
	if (tmpl == "" || tmpl == format.TableKey) && o.quiet {
		tmpl = format.QuietFormat
	}
	rows := make([]any, 0, len(list))
	for _, n := range list {
		rows = append(rows, &row{n: n, trunc: !o.noTrunc})
	}
	return format.Write(c.Out(), tmpl, defaultTable, rows, headers)
}

// row is one network in `network ls` templates; the methods are the
// fields docker offers.
type row struct {
	n     network.Summary
	trunc bool
}

func (r *row) ID() string {
	if r.trunc {
		return format.TruncateID(r.n.ID)
	}
	return r.n.ID
}
func (r *row) Name() string      { return r.n.Name }
func (r *row) Driver() string    { return r.n.Driver }
func (r *row) Scope() string     { return r.n.Scope }
func (r *row) IPv4() string      { return strconv.FormatBool(r.n.EnableIPv4) }
func (r *row) IPv6() string      { return strconv.FormatBool(r.n.EnableIPv6) }
func (r *row) Internal() string  { return strconv.FormatBool(r.n.Internal) }
func (r *row) CreatedAt() string { return r.n.Created.String() }

// Labels joins k=v pairs; sorted, where docker uses map order.
func (r *row) Labels() string {
	kv := make([]string, 0, len(r.n.Labels))
	for k, v := range r.n.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (r *row) Label(name string) string { return r.n.Labels[name] }

func (r *row) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }
