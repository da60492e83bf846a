package registry

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// newSearchCommand is `docker search`; the daemon answers whether the
// registry can search (ours cannot: OCI registries have no search API).
func newSearchCommand(c *command.Cli) *cobra.Command {
	var limit int
	var noTrunc bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "search [OPTIONS] TERM",
		Short: "Search Docker Hub for images",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := make(client.Filters)
			for _, kv := range filters {
				k, v, _ := strings.Cut(kv, "=")
				f.Add(k, v)
			}
			res, err := c.Client().ImageSearch(cmd.Context(), args[0], client.ImageSearchOptions{Limit: limit, Filters: f})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.Out(), 10, 1, 3, ' ', 0)
			fmt.Fprintln(w, "NAME\tDESCRIPTION\tSTARS\tOFFICIAL")
			for _, r := range res.Items {
				desc := strings.ReplaceAll(r.Description, "\n", " ")
				if !noTrunc && len(desc) > 45 {
					desc = desc[:44] + "…"
				}
				official := ""
				if r.IsOfficial {
					official = "[OK]"
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", r.Name, desc, r.StarCount, official)
			}
			return w.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions provided")
	fl.IntVar(&limit, "limit", 0, "Max number of search results")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.String("format", "", "Pretty-print search using a Go template")
	return cmd
}
