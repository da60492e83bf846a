package compose

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/format"
	"github.com/berth-project/berth/compose"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

// psRow is one line of compose ps; the field names are those of Compose's
// --format json objects and templates.
type psRow struct {
	Command      string
	CreatedAt    string
	ExitCode     int
	Health       string
	ID           string
	Image        string
	Labels       string
	LocalVolumes string
	Mounts       string
	Name         string
	Names        string
	Networks     string
	Ports        string
	Project      string
	Publishers   []publisher
	RunningFor   string
	Service      string
	Size         string
	State        string
	Status       string
}

type publisher struct {
	URL           string
	TargetPort    int
	PublishedPort int
	Protocol      string
}

func newPsRow(c container.Summary, noTrunc bool) psRow {
	cmd := c.Command
	if !noTrunc {
		cmd = format.Ellipsis(cmd, 20)
	}
	var labels, mounts, nets []string
	for k, v := range c.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	local := 0
	for _, m := range c.Mounts {
		n := m.Name
		if n == "" {
			n = m.Source
		}
		mounts = append(mounts, n)
		if m.Driver == "local" {
			local++
		}
	}
	if c.NetworkSettings != nil {
		for n := range c.NetworkSettings.Networks {
			nets = append(nets, n)
		}
		sort.Strings(nets)
	}
	health := ""
	if c.Health != nil {
		health = string(c.Health.Status)
	}
	exit := 0
	if i := strings.Index(c.Status, "Exited ("); i >= 0 {
		fmt.Sscanf(c.Status[i:], "Exited (%d)", &exit)
	}
	r := psRow{
		Command:      strconv.Quote(cmd),
		CreatedAt:    time.Unix(c.Created, 0).String(),
		ExitCode:     exit,
		Health:       health,
		ID:           c.ID,
		Image:        c.Image,
		Labels:       strings.Join(labels, ","),
		LocalVolumes: strconv.Itoa(local),
		Mounts:       strings.Join(mounts, ","),
		Name:         compose.Name(c),
		Names:        compose.Name(c),
		Networks:     strings.Join(nets, ","),
		Ports:        displayPorts(c.Ports),
		Project:      c.Labels[compose.ProjectLabel],
		RunningFor:   format.HumanDuration(time.Since(time.Unix(c.Created, 0))) + " ago",
		Service:      c.Labels[compose.ServiceLabel],
		State:        string(c.State),
		Status:       c.Status,
	}
	if !noTrunc {
		r.ID = format.TruncateID(c.ID)
	}
	r.Publishers = []publisher{}
	for _, p := range c.Ports {
		u := ""
		if p.IP.IsValid() {
			u = p.IP.String()
		}
		r.Publishers = append(r.Publishers, publisher{URL: u, TargetPort: int(p.PrivatePort), PublishedPort: int(p.PublicPort), Protocol: p.Type})
	}
	return r
}

// displayPorts renders ports as docker ps does for the common cases
// ("127.0.0.1:8080->80/tcp", "80/tcp").
func displayPorts(ports []container.PortSummary) string {
	ps := append([]container.PortSummary(nil), ports...)
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].PrivatePort != ps[j].PrivatePort {
			return ps[i].PrivatePort < ps[j].PrivatePort
		}
		return ps[i].IP.Less(ps[j].IP)
	})
	var out []string
	seen := map[string]bool{}
	for _, p := range ps {
		var s string
		if p.IP.IsValid() && p.PublicPort != 0 {
			s = fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type)
		} else {
			s = fmt.Sprintf("%d/%s", p.PrivatePort, p.Type)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

const psTable = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}"

var psHeaders = format.Headers{
	"Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Service": "SERVICE",
	"RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "ID": "CONTAINER ID",
	"State": "STATE", "Project": "PROJECT", "CreatedAt": "CREATED AT", "Health": "HEALTH",
	"ExitCode": "EXIT CODE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS",
	"Networks": "NETWORKS", "Size": "SIZE", "LocalVolumes": "LOCAL VOLUMES",
}

func newPsCommand(e *env) *cobra.Command {
	var (
		all, quiet, services, noTrunc, orphans bool
		tmpl                                   string
		status, filters                        []string
	)
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, p, err := e.projectName(ctx)
			if err != nil {
				return err
			}
			if p != nil {
				for _, a := range args {
					if _, err := p.GetService(a); err != nil {
						return err
					}
				}
			}
			for _, f := range filters {
				k, v, ok := strings.Cut(f, "=")
				if !ok || k != "status" {
					return fmt.Errorf("unknown filter %s", k)
				}
				status = append(status, v)
			}
			cs, err := e.quiet().Containers(ctx, name, compose.OneoffExclude, all || len(status) > 0, args...)
			if err != nil {
				return err
			}
			var sel []container.Summary
			for _, c := range cs {
				if len(status) > 0 && !contains(status, string(c.State)) {
					continue
				}
				if !orphans && p != nil {
					if _, err := p.GetService(c.Labels[compose.ServiceLabel]); err != nil {
						continue
					}
				}
				sel = append(sel, c)
			}
			out := e.c.Out()
			switch {
			case quiet:
				for _, c := range sel {
					fmt.Fprintln(out, c.ID)
				}
				return nil
			case services:
				seen := map[string]bool{}
				for _, c := range sel {
					s := c.Labels[compose.ServiceLabel]
					if !seen[s] {
						seen[s] = true
						fmt.Fprintln(out, s)
					}
				}
				return nil
			}
			return writePs(out, sel, tmpl, noTrunc)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Show all stopped containers (including those created by the run command)")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	f.BoolVar(&services, "services", false, "Display services")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVar(&orphans, "orphans", true, "Include orphaned services (not declared by project)")
	f.StringVar(&tmpl, "format", "table", "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.")
	f.StringArrayVar(&status, "status", nil, "Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]")
	f.StringArrayVar(&filters, "filter", nil, "Filter services by a property (supported filters: status)")
	return cmd
}

func writePs(out io.Writer, cs []container.Summary, tmpl string, noTrunc bool) error {
	rows := make([]any, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, newPsRow(c, noTrunc))
	}
	if tmpl == "json" {
		for _, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(b))
		}
		return nil
	}
	return format.Write(out, tmpl, psTable, rows, psHeaders)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
