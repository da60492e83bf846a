package volume

import (
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

// Docker's volume list formats and column titles.
const (
	DefaultTable = "table {{.Driver}}\t{{.Name}}"
	quietFormat  = "{{.Name}}"
)

// Headers are docker's column titles for volume rows.
var Headers = format.Headers{
	"ID":           "ID",
	"Name":         "VOLUME NAME",
	"Group":        "GROUP",
	"Driver":       "DRIVER",
	"Scope":        "SCOPE",
	"Availability": "AVAILABILITY",
	"Mountpoint":   "MOUNTPOINT",
	"Labels":       "LABELS",
	"Links":        "LINKS",
	"Size":         "SIZE",
	"Status":       "STATUS",
}

func newListCommand(c *command.Cli) *cobra.Command {
	var (
		quiet bool
		tmpl  string
	)
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().VolumeList(cmd.Context(), client.VolumeListOptions{Filters: filter.Value()})
			if err != nil {
				return err
			}
			vols := res.Items
			sort.Slice(vols, func(i, j int) bool { return format.NaturalLess(vols[i].Name, vols[j].Name) })
			rows := make([]any, 0, len(vols))
			for i := range vols {
				rows = append(rows, &Row{V: vols[i]})
			}
			return format.Write(c.Out(), listFormat(tmpl, quiet), DefaultTable, rows, Headers)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	f.StringVar(&tmpl, "format", "", formatHelp)
	f.VarP(filter, "filter", "f", `Provide filter values (e.g. "dangling=true")`)
	f.Bool("cluster", false, "Display only cluster volumes, and use cluster volume list formatting")
	_ = f.MarkHidden("cluster") // cluster volumes are not implemented
	return cmd
}

// listFormat applies docker's NewVolumeFormat: -q only matters for the
// default table, and "raw" has its own layout.
func listFormat(userFormat string, quiet bool) string {
	switch userFormat {
	case "", format.TableKey:
		if quiet {
			return quietFormat
		}
		return DefaultTable
	case "raw":
		if quiet {
			return `name: {{.Name}}`
		}
		return `name: {{.Name}}\ndriver: {{.Driver}}\n`
	}
	return userFormat
}

// Row is one volume in `volume ls` and `system df -v` templates.
type Row struct{ V volume.Volume }

func (r *Row) Name() string       { return r.V.Name }
func (r *Row) Driver() string     { return r.V.Driver }
func (r *Row) Scope() string      { return r.V.Scope }
func (r *Row) Mountpoint() string { return r.V.Mountpoint }

// Labels joins key=value pairs with commas (in map order, like docker).
func (r *Row) Labels() string {
	parts := make([]string, 0, len(r.V.Labels))
	for k, v := range r.V.Labels {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

// Label is the value of one label ({{.Label "com.example"}}).
func (r *Row) Label(name string) string { return r.V.Labels[name] }

// Links is the number of containers using the volume (system df only).
func (r *Row) Links() string {
	if r.V.UsageData == nil {
		return "N/A"
	}
	return strconv.FormatInt(r.V.UsageData.RefCount, 10)
}

// Size is the data size (system df only).
func (r *Row) Size() string {
	if r.V.UsageData == nil {
		return "N/A"
	}
	return units.HumanSize(float64(r.V.UsageData.Size))
}

// Group, Availability and Status describe cluster volumes, which berth
// does not have.
func (r *Row) Group() string        { return "N/A" }
func (r *Row) Availability() string { return "N/A" }
func (r *Row) Status() string       { return "N/A" }

// MarshalJSON is what `--format json` prints.
func (r *Row) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }
