package container

import (
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type psOptions struct {
	quiet, size, all, noTrunc, latest bool
	last                              int
	format                            string
	filters                           []string
}

func newListCommand(c *command.Cli) *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPs(cmd, c, &o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.StringVar(&o.format, "format", "", "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided")
	return cmd
}

// parseFilters turns repeated "key=value" flags into API filters.
func parseFilters(vals []string) (client.Filters, error) {
	f := client.Filters{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value)")
		}
		f.Add(strings.ToLower(strings.TrimSpace(k)), val)
	}
	return f, nil
}

func runPs(cmd *cobra.Command, c *command.Cli, o *psOptions) error {
	filters, err := parseFilters(o.filters)
	if err != nil {
		return err
	}
	lo := client.ContainerListOptions{All: o.all, Limit: o.last, Size: o.size, Filters: filters}
	if o.latest && o.last == -1 {
		lo.Limit = 1
	}
	tmpl := o.format
	if o.quiet && tmpl == "" {
		tmpl = format.QuietFormat
	}
	// Like docker, a custom template that uses .Size asks the daemon for sizes.
	if !o.quiet && !cmd.Flags().Changed("size") && strings.Contains(tmpl, ".Size") {
		lo.Size = true
	}
	if tmpl != "" && tmpl != format.TableKey && tmpl != format.JSONKey {
		t := strings.TrimPrefix(tmpl, format.TableKey)
		if _, err := format.Parse(t); err != nil {
			return fmt.Errorf("failed to parse template: %w", err)
		}
	}
	res, err := c.Client().ContainerList(cmd.Context(), lo)
	if err != nil {
		return err
	}
	def := format.DefaultContainerTable
	if o.size {
		def += "\t{{.Size}}"
	}
	rows := make([]any, 0, len(res.Items))
	for _, s := range res.Items {
		rows = append(rows, &psRow{c: s, trunc: !o.noTrunc})
	}
	return format.Write(c.Out(), tmpl, def, rows, format.ContainerHeaders)
}
