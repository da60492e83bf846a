package image

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

type listOptions struct {
	match       string
	quiet, all  bool
	noTrunc     bool
	showDigests bool
	format      string
	filter      *FilterOpt
	calledAs    string
}

func newImagesCommand(c *command.Cli) *cobra.Command {
	opts := listOptions{filter: NewFilterOpt()}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.match = args[0]
			}
			opts.calledAs = cmd.CalledAs()
			return runImages(cmd.Context(), c, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVarP(&opts.all, "all", "a", false, "Show all images (default hides intermediate images)")
	f.BoolVar(&opts.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVar(&opts.showDigests, "digests", false, "Show digests")
	f.StringVar(&opts.format, "format", "", formatHelp)
	f.VarP(opts.filter, "filter", "f", "Filter output based on conditions provided")
	f.Bool("tree", false, "List multi-platform images as a tree (EXPERIMENTAL)")
	_ = f.MarkHidden("tree")
	return cmd
}

func runImages(ctx context.Context, c *command.Cli, opts listOptions) error {
	filters := opts.filter.Value()
	if opts.match != "" {
		filters.Add("reference", opts.match)
	}
	res, err := c.Client().ImageList(ctx, client.ImageListOptions{All: opts.all, Filters: filters})
	if err != nil {
		return err
	}
	tmpl := imageFormat(opts.format, opts.quiet, opts.showDigests)
	withDigest := opts.showDigests || containsDigest(tmpl)
	var rows []any
	for _, img := range res.Items {
		rows = append(rows, imageRows(img, !opts.noTrunc, withDigest, opts.showDigests)...)
	}
	if err := format.Write(c.Out(), tmpl, format.DefaultImageTable, rows, format.ImageHeaders); err != nil {
		return err
	}
	if opts.match != "" && len(res.Items) == 0 && opts.calledAs == "images" {
		printAmbiguousHint(c, opts.match)
	}
	return nil
}

// imageFormat applies docker's rules for -q and --digests to --format.
func imageFormat(userFormat string, quiet, digests bool) string {
	if userFormat == "" || userFormat == format.TableKey {
		switch {
		case quiet:
			return format.QuietFormat
		case digests:
			return format.DefaultImageDigest
		default:
			return format.DefaultImageTable
		}
	}
	if format.IsTable(userFormat) && digests && !containsDigest(userFormat) {
		return userFormat + "\t{{.Digest}}"
	}
	return userFormat
}

func containsDigest(f string) bool { return contains(f, "{{.Digest}}") }

// printAmbiguousHint helps users who typed `docker images ls`.
func printAmbiguousHint(c *command.Cli, match string) {
	switch match {
	case "build", "history", "import", "inspect", "list", "load", "ls", "prune", "pull", "push", "rm", "save", "tag":
		fmt.Fprintf(c.Err(), "\nNo images found matching %q: did you mean \"docker image %[1]s\"?\n", match)
	}
}

// imageRow is one line of `docker images`: an image under one repo/tag.
type imageRow struct {
	img               image.Summary
	trunc             bool
	repo, tag, digest string
}

func (r *imageRow) ID() string {
	if r.trunc {
		return format.TruncateID(r.img.ID)
	}
	return r.img.ID
}
func (r *imageRow) Repository() string { return r.repo }
func (r *imageRow) Tag() string        { return r.tag }
func (r *imageRow) Digest() string     { return r.digest }
func (r *imageRow) CreatedSince() string {
	return format.Since(time.Unix(r.img.Created, 0))
}
func (r *imageRow) CreatedAt() string { return time.Unix(r.img.Created, 0).String() }
func (r *imageRow) Size() string      { return format.HumanSize(r.img.Size) }
func (r *imageRow) Containers() string {
	if r.img.Containers == -1 {
		return "N/A"
	}
	return fmt.Sprint(r.img.Containers)
}
func (r *imageRow) SharedSize() string {
	if r.img.SharedSize == -1 {
		return "N/A"
	}
	return format.HumanSize(r.img.SharedSize)
}
func (r *imageRow) UniqueSize() string {
	if r.img.Size == -1 || r.img.SharedSize == -1 {
		return "N/A"
	}
	return format.HumanSize(r.img.Size - r.img.SharedSize)
}
func (r *imageRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func isDangling(img image.Summary) bool {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return true
	}
	return len(img.RepoTags) == 1 && img.RepoTags[0] == "<none>:<none>" &&
		len(img.RepoDigests) == 1 && img.RepoDigests[0] == "<none>@<none>"
}

// imageRows expands an image into one row per repository:tag (and per
// digest when digests are shown), like docker. Repositories are sorted so
// the output is stable (docker's order is map order).
func imageRows(img image.Summary, trunc, needDigest, showDigests bool) []any {
	mk := func(repo, tag, dgst string) any {
		return &imageRow{img: img, trunc: trunc, repo: repo, tag: tag, digest: dgst}
	}
	if isDangling(img) {
		return []any{mk("<none>", "<none>", "<none>")}
	}
	tags := map[string][]string{}
	digests := map[string][]string{}
	for _, s := range img.RepoTags {
		if ref, err := reference.ParseNormalizedNamed(s); err == nil {
			if nt, ok := ref.(reference.NamedTagged); ok {
				name := reference.FamiliarName(ref)
				tags[name] = append(tags[name], nt.Tag())
			}
		}
	}
	for _, s := range img.RepoDigests {
		if ref, err := reference.ParseNormalizedNamed(s); err == nil {
			if c, ok := ref.(reference.Canonical); ok {
				name := reference.FamiliarName(ref)
				digests[name] = append(digests[name], c.Digest().String())
			}
		}
	}
	var rows []any
	for _, repo := range sortedKeys(tags) {
		ds := digests[repo]
		delete(digests, repo)
		if !needDigest {
			ds = nil
		}
		for _, tag := range tags[repo] {
			if len(ds) == 0 {
				rows = append(rows, mk(repo, tag, "<none>"))
				continue
			}
			for _, d := range ds {
				rows = append(rows, mk(repo, tag, d))
			}
		}
	}
	for _, repo := range sortedKeys(digests) {
		if !showDigests {
			rows = append(rows, mk(repo, "<none>", ""))
			continue
		}
		for _, d := range digests[repo] {
			rows = append(rows, mk(repo, "<none>", d))
		}
	}
	return rows
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
