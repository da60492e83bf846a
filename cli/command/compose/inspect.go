package compose

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-project/berth/cli/format"
	"github.com/berth-project/berth/compose"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(e *env) *cobra.Command {
	var (
		protocol string
		index    int
	)
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the public port for a port binding",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			c, err := e.replica(cmd, name, args[0], index)
			if err != nil {
				return err
			}
			port, err := network.ParsePort(args[1] + "/" + protocol)
			if err != nil {
				return err
			}
			info, err := e.c.Client().ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			if info.Container.NetworkSettings != nil {
				for _, b := range info.Container.NetworkSettings.Ports[port] {
					ip := "0.0.0.0"
					if b.HostIP.IsValid() {
						ip = b.HostIP.String()
					}
					fmt.Fprintln(e.c.Out(), net.JoinHostPort(ip, b.HostPort))
					return nil
				}
			}
			return fmt.Errorf("no port %s for container %s", port, compose.Name(c))
		},
	}
	cmd.Flags().StringVar(&protocol, "protocol", "tcp", "tcp or udp")
	cmd.Flags().IntVar(&index, "index", 0, "Index of the container if service has multiple replicas")
	return cmd
}

// replica finds replica index (0 and 1: the first) of service.
func (e *env) replica(cmd *cobra.Command, project, service string, index int) (container.Summary, error) {
	cs, err := e.quiet().Containers(cmd.Context(), project, compose.OneoffExclude, true, service)
	if err != nil {
		return container.Summary{}, err
	}
	if index == 0 {
		index = 1
	}
	for _, c := range cs {
		if n, _ := strconv.Atoi(c.Labels[compose.ContainerNumberLabel]); n == index {
			return c, nil
		}
	}
	if len(cs) == 0 {
		return container.Summary{}, fmt.Errorf("service %q is not running", service)
	}
	return container.Summary{}, fmt.Errorf("service %q is not running container #%d", service, index)
}

func newTopCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICES...]",
		Short: "Display the running processes",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			cs, err := e.quiet().Containers(ctx, name, compose.OneoffExclude, false, args...)
			if err != nil {
				return err
			}
			out := e.c.Out()
			for i, c := range cs {
				top, err := e.c.Client().ContainerTop(ctx, c.ID, client.ContainerTopOptions{})
				if err != nil {
					return err
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintln(out, compose.Name(c))
				tw := tabwriter.NewWriter(out, 4, 1, 2, ' ', 0)
				fmt.Fprintln(tw, strings.Join(top.Titles, "\t"))
				for _, p := range top.Processes {
					fmt.Fprintln(tw, strings.Join(p, "\t"))
				}
				tw.Flush()
			}
			return nil
		},
	}
}

func newImagesCommand(e *env) *cobra.Command {
	var (
		quiet bool
		tmpl  string
	)
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [SERVICE...]",
		Short: "List images used by the created containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			cs, err := e.quiet().Containers(ctx, name, compose.OneoffExclude, true, args...)
			if err != nil {
				return err
			}
			out := e.c.Out()
			type row struct {
				ContainerName, Repository, Tag, ID string
				Size                               int64
			}
			var rows []row
			seen := map[string]bool{}
			for _, c := range cs {
				img, err := e.c.Client().ImageInspect(ctx, c.ImageID)
				if err != nil {
					return err
				}
				// The reference the container was created from names the
				// row (an image may carry several tags); an ID falls back
				// to the image's first tag.
				repo, tag := splitTag(c.Image)
				if strings.HasPrefix(c.Image, "sha256:") {
					repo, tag = "<none>", "<none>"
					if len(img.RepoTags) > 0 {
						repo, tag = splitTag(img.RepoTags[0])
					}
				}
				rows = append(rows, row{compose.Name(c), repo, tag, img.ID, img.Size})
			}
			if quiet {
				for _, r := range rows {
					if !seen[r.ID] {
						seen[r.ID] = true
						fmt.Fprintln(out, r.ID)
					}
				}
				return nil
			}
			if tmpl == "json" {
				var js []map[string]any
				for _, r := range rows {
					js = append(js, map[string]any{"ContainerName": r.ContainerName, "Repository": r.Repository, "Tag": r.Tag, "ID": r.ID, "Size": r.Size})
				}
				b, _ := json.Marshal(js)
				fmt.Fprintln(out, string(b))
				return nil
			}
			tw := format.NewTabWriter(out)
			fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ContainerName, r.Repository, r.Tag, format.TruncateID(r.ID), format.HumanSize(r.Size))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	cmd.Flags().StringVar(&tmpl, "format", "table", "Format the output. Values: [table | json]")
	return cmd
}

func splitTag(ref string) (string, string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || i < strings.LastIndex(ref, "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}

func newLsCommand(e *env) *cobra.Command {
	var (
		all, quiet bool
		tmpl       string
		filters    []string
	)
	cmd := &cobra.Command{
		Use:   "ls [OPTIONS]",
		Short: "List running compose projects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			f := client.Filters{}.Add("label", compose.ProjectLabel)
			res, err := e.c.Client().ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
			if err != nil {
				return err
			}
			var nameFilter []string
			for _, fl := range filters {
				k, v, _ := strings.Cut(fl, "=")
				if k != "name" {
					return fmt.Errorf("invalid filter '%s'", k)
				}
				nameFilter = append(nameFilter, v)
			}
			type project struct {
				Name        string
				Status      string
				ConfigFiles string
				states      map[string]int
				running     bool
			}
			byName := map[string]*project{}
			var order []string
			for _, c := range res.Items {
				n := c.Labels[compose.ProjectLabel]
				p := byName[n]
				if p == nil {
					p = &project{Name: n, ConfigFiles: c.Labels[compose.ConfigFilesLabel], states: map[string]int{}}
					byName[n] = p
					order = append(order, n)
				}
				p.states[string(c.State)]++
				if c.State == container.StateRunning {
					p.running = true
				}
			}
			sort.Strings(order)
			var rows []*project
			for _, n := range order {
				p := byName[n]
				if !all && !p.running {
					continue
				}
				if len(nameFilter) > 0 && !contains(nameFilter, n) {
					continue
				}
				var st []string
				for s, k := range p.states {
					st = append(st, fmt.Sprintf("%s(%d)", s, k))
				}
				sort.Strings(st)
				p.Status = strings.Join(st, ", ")
				rows = append(rows, p)
			}
			out := e.c.Out()
			switch {
			case quiet:
				for _, p := range rows {
					fmt.Fprintln(out, p.Name)
				}
				return nil
			case tmpl == "json":
				b, _ := json.Marshal(rows)
				if len(rows) == 0 {
					b = []byte("[]")
				}
				fmt.Fprintln(out, string(b))
				return nil
			}
			tw := format.NewTabWriter(out)
			fmt.Fprintln(tw, "NAME\tSTATUS\tCONFIG FILES")
			for _, p := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Status, p.ConfigFiles)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Show all stopped Compose projects")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display project names")
	cmd.Flags().StringVar(&tmpl, "format", "table", "Format the output. Values: [table | json]")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "Filter output based on conditions provided")
	return cmd
}

func newEventsCommand(e *env) *cobra.Command {
	var asJSON bool
	var since, until string
	cmd := &cobra.Command{
		Use:   "events [OPTIONS] [SERVICE...]",
		Short: "Receive real time events from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, _, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			f := client.Filters{}.Add("label", compose.ProjectLabel+"="+name).Add("type", "container")
			res := e.c.Client().Events(ctx, client.EventsListOptions{Filters: f, Since: since, Until: until})
			out := e.c.Out()
			for {
				select {
				case <-ctx.Done():
					return nil
				case err := <-res.Err:
					if err == nil || strings.Contains(err.Error(), "EOF") {
						return nil
					}
					return err
				case m := <-res.Messages:
					svc := m.Actor.Attributes[compose.ServiceLabel]
					if len(args) > 0 && !contains(args, svc) {
						continue
					}
					t := time.Unix(0, m.TimeNano)
					if m.TimeNano == 0 {
						t = time.Unix(m.Time, 0)
					}
					attrs := map[string]string{}
					for k, v := range m.Actor.Attributes {
						if !strings.HasPrefix(k, "com.docker.compose.") {
							attrs[k] = v
						}
					}
					if asJSON {
						b, _ := json.Marshal(map[string]any{
							"time": t.Format(time.RFC3339Nano), "type": "container", "action": string(m.Action),
							"id": m.Actor.ID, "service": svc, "attributes": attrs,
						})
						fmt.Fprintln(out, string(b))
						continue
					}
					var kv []string
					for k, v := range attrs {
						kv = append(kv, k+"="+v)
					}
					sort.Strings(kv)
					fmt.Fprintf(out, "%s container %s %s (%s)\n", t.Format("2006-01-02 15:04:05.000000"), m.Action, m.Actor.ID, strings.Join(kv, ", "))
				}
			}
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "Output events as a stream of json objects")
	cmd.Flags().StringVar(&since, "since", "", "Show all events created since timestamp")
	cmd.Flags().StringVar(&until, "until", "", "Stream events until this timestamp")
	return cmd
}

func newVersionCommand(e *env) *cobra.Command {
	var short bool
	var formatFlag string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Docker Compose version information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case short:
				fmt.Fprintln(e.c.Out(), compose.ComposeVersion)
			case formatFlag == "json":
				fmt.Fprintf(e.c.Out(), "{\"version\":\"v%s\"}\n", compose.ComposeVersion)
			default:
				fmt.Fprintf(e.c.Out(), "Docker Compose version v%s\n", compose.ComposeVersion)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "Shows only Compose's version number")
	cmd.Flags().StringVarP(&formatFlag, "format", "f", "", "Format the output. Values: [pretty | json]. (Default: pretty)")
	return cmd
}
