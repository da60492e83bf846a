package system

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const dfTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

var dfHeaders = format.Headers{
	"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE",
}

// dfRow is one summary line of `docker system df`.
type dfRow struct {
	typ string
	u   usage
}

type usage struct{ active, total, reclaimable, size int64 }

func (r *dfRow) Type() string       { return r.typ }
func (r *dfRow) TotalCount() string { return strconv.FormatInt(r.u.total, 10) }
func (r *dfRow) Active() string     { return strconv.FormatInt(r.u.active, 10) }
func (r *dfRow) Size() string       { return units.HumanSize(float64(r.u.size)) }
func (r *dfRow) Reclaimable() string {
	s := units.HumanSize(float64(r.u.reclaimable))
	if r.u.size > 0 && r.typ != "Build Cache" {
		return fmt.Sprintf("%s (%v%%)", s, r.u.reclaimable*100/r.u.size)
	}
	return s
}
func (r *dfRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func newDiskUsageCommand(c *command.Cli) *cobra.Command {
	var (
		verbose  bool
		tmplText string
	)
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show docker disk usage",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			du, err := c.Client().DiskUsage(cmd.Context(), client.DiskUsageOptions{
				Containers: true, Images: true, Volumes: true, BuildCache: true, Verbose: verbose,
			})
			if err != nil {
				return err
			}
			if verbose && (tmplText == "" || tmplText == format.TableKey) {
				return writeVerboseDF(c, du)
			}
			rows := []any{
				&dfRow{"Images", usage{du.Images.ActiveCount, du.Images.TotalCount, du.Images.Reclaimable, du.Images.TotalSize}},
				&dfRow{"Containers", usage{du.Containers.ActiveCount, du.Containers.TotalCount, du.Containers.Reclaimable, du.Containers.TotalSize}},
				&dfRow{"Local Volumes", usage{du.Volumes.ActiveCount, du.Volumes.TotalCount, du.Volumes.Reclaimable, du.Volumes.TotalSize}},
				&dfRow{"Build Cache", usage{du.BuildCache.ActiveCount, du.BuildCache.TotalCount, du.BuildCache.Reclaimable, du.BuildCache.TotalSize}},
			}
			return format.Write(c.Out(), tmplText, dfTable, rows, dfHeaders)
		},
	}
	f := cmd.Flags()
	f.StringVar(&tmplText, "format", "", `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`)
	f.BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	return cmd
}

// writeVerboseDF prints docker's per-object sections for `df -v`.
func writeVerboseDF(c *command.Cli, du client.DiskUsageResult) error {
	out := c.Out()
	fmt.Fprint(out, "Images space usage:\n\n")
	var rows []any
	for _, img := range du.Images.Items {
		repo, tag := "<none>", "<none>"
		if len(img.RepoTags) > 0 && img.RepoTags[0] != "<none>:<none>" {
			if i := strings.LastIndex(img.RepoTags[0], ":"); i > 0 {
				repo, tag = img.RepoTags[0][:i], img.RepoTags[0][i+1:]
			}
		}
		rows = append(rows, &dfImage{
			Repository: repo, Tag: tag, ID: format.TruncateID(img.ID),
			CreatedSince: format.Since(time.Unix(img.Created, 0)),
			Size:         units.HumanSizeWithPrecision(float64(img.Size), 3),
			SharedSize:   sizeOrNA(img.SharedSize),
			UniqueSize:   sizeOrNA(img.Size - img.SharedSize),
			Containers:   strconv.FormatInt(img.Containers, 10),
		})
	}
	err := format.Write(out, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", "", rows, format.ImageHeaders)
	if err != nil {
		return err
	}
	fmt.Fprint(out, "\nContainers space usage:\n\n")
	rows = nil
	for _, ct := range du.Containers.Items {
		name := ""
		if len(ct.Names) > 0 {
			name = strings.TrimPrefix(ct.Names[0], "/")
		}
		rows = append(rows, &dfContainer{
			ID: format.TruncateID(ct.ID), Image: ct.Image, Command: strconv.Quote(format.Ellipsis(ct.Command, 20)),
			LocalVolumes: strconv.Itoa(localVolumes(ct.Mounts)), Size: units.HumanSizeWithPrecision(float64(ct.SizeRw), 3),
			RunningFor: format.Since(time.Unix(ct.Created, 0)), Status: ct.Status, Names: name,
		})
	}
	err = format.Write(out, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", "", rows, format.ContainerHeaders)
	if err != nil {
		return err
	}
	fmt.Fprint(out, "\nLocal Volumes space usage:\n\n")
	rows = nil
	for _, v := range du.Volumes.Items {
		links, size := "N/A", "N/A"
		if v.UsageData != nil {
			links = strconv.FormatInt(v.UsageData.RefCount, 10)
			if v.UsageData.Size >= 0 {
				size = units.HumanSize(float64(v.UsageData.Size))
			}
		}
		rows = append(rows, &dfVolume{Name: v.Name, Links: links, Size: size})
	}
	err = format.Write(out, "table {{.Name}}\t{{.Links}}\t{{.Size}}", "", rows, format.Headers{"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nBuild cache usage: %s\n\n", units.HumanSize(float64(du.BuildCache.TotalSize)))
	return format.Write(out, "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", "", nil,
		format.Headers{"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED", "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED"})
}

func sizeOrNA(n int64) string {
	if n < 0 {
		return "N/A"
	}
	return units.HumanSize(float64(n))
}

type dfImage struct{ Repository, Tag, ID, CreatedSince, Size, SharedSize, UniqueSize, Containers string }
type dfContainer struct{ ID, Image, Command, LocalVolumes, Size, RunningFor, Status, Names string }
type dfVolume struct{ Name, Links, Size string }

// localVolumes counts the local-driver volumes a container mounts (binds
// and tmpfs are not volumes), as docker's LOCAL VOLUMES column.
func localVolumes(ms []container.MountPoint) int {
	n := 0
	for _, m := range ms {
		if m.Driver == "local" {
			n++
		}
	}
	return n
}
