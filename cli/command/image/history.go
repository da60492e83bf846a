package image

import (
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/image"
	"github.com/spf13/cobra"
)

const (
	historyTable      = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	historyTableNoHum = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

var historyHeaders = format.Headers{
	"ID":           "IMAGE",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"CreatedBy":    "CREATED BY",
	"Size":         "SIZE",
	"Comment":      "COMMENT",
}

func newHistoryCommand(c *command.Cli) *cobra.Command {
	var (
		human, quiet, noTrunc bool
		userFormat            string
	)
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			tmpl := userFormat
			if tmpl == "" || tmpl == format.TableKey {
				switch {
				case quiet:
					tmpl = format.QuietFormat
				case !human:
					tmpl = historyTableNoHum
				default:
					tmpl = historyTable
				}
			}
			rows := make([]any, 0, len(res.Items))
			for _, h := range res.Items {
				rows = append(rows, &historyRow{h: h, trunc: !noTrunc, human: human})
			}
			return format.Write(c.Out(), tmpl, historyTable, rows, historyHeaders)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringVar(&userFormat, "format", "", formatHelp)
	f.String("platform", "", `Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	return cmd
}

// historyRow is one layer line of `docker history`.
type historyRow struct {
	h            image.HistoryResponseItem
	trunc, human bool
}

// epoch: older creation dates are shown as N/A (docker's rule).
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (r *historyRow) ID() string {
	if r.trunc {
		return format.TruncateID(r.h.ID)
	}
	return r.h.ID
}
func (r *historyRow) CreatedAt() string { return time.Unix(r.h.Created, 0).Format(time.RFC3339) }
func (r *historyRow) CreatedSince() string {
	if !r.human {
		return r.CreatedAt()
	}
	if r.h.Created <= epoch {
		return "N/A"
	}
	return format.Since(time.Unix(r.h.Created, 0))
}
func (r *historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.h.CreatedBy, "\t", " ")
	if r.trunc {
		return format.Ellipsis(s, 45)
	}
	return s
}
func (r *historyRow) Size() string {
	if r.human {
		return format.HumanSize(r.h.Size)
	}
	return strconv.FormatInt(r.h.Size, 10)
}
func (r *historyRow) Comment() string              { return r.h.Comment }
func (r *historyRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }
