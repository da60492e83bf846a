package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type logsOpts struct {
	follow, timestamps, noTaskIDs, noTrunc, raw, noResolve, details bool
	since, tail                                                     string
}

func newLogsCommand(c *command.Cli) *cobra.Command {
	var o logsOpts
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] SERVICE|TASK",
		Short: "Fetch the logs of a service or task",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), c, args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.noResolve, "no-resolve", false, "Do not map IDs to Names in output")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	f.BoolVar(&o.raw, "raw", false, "Do not neatly format logs")
	f.BoolVar(&o.noTaskIDs, "no-task-ids", false, "Do not include task IDs in output")
	f.BoolVarP(&o.follow, "follow", "f", false, "Follow log output")
	f.StringVar(&o.since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.BoolVarP(&o.timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&o.details, "details", false, "Show extra details provided to logs")
	f.StringVarP(&o.tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}

func runLogs(ctx context.Context, c *command.Cli, ref string, o logsOpts) error {
	api := c.Client()
	opts := client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Since: o.since, Timestamps: o.timestamps,
		Follow: o.follow, Tail: o.tail, Details: !o.raw || o.details}
	var (
		body     io.ReadCloser
		tty      bool
		maxSlots = 1
	)
	// docker tries the name as a service first, then as a task.
	if svc, err := api.ServiceInspect(ctx, ref, client.ServiceInspectOptions{}); err == nil {
		s := svc.Service
		if s.Spec.TaskTemplate.ContainerSpec != nil {
			tty = s.Spec.TaskTemplate.ContainerSpec.TTY
		}
		if s.Spec.Mode.Replicated != nil && s.Spec.Mode.Replicated.Replicas != nil {
			maxSlots = int(*s.Spec.Mode.Replicated.Replicas)
		}
		res, err := api.ServiceLogs(ctx, s.ID, opts)
		if err != nil {
			return err
		}
		body = res
	} else {
		t, terr := api.TaskInspect(ctx, ref, client.TaskInspectOptions{})
		if terr != nil {
			return fmt.Errorf("no such task or service: %s", ref)
		}
		if t.Task.Spec.ContainerSpec != nil {
			tty = t.Task.Spec.ContainerSpec.TTY
		}
		res, err := api.TaskLogs(ctx, t.Task.ID, client.TaskLogsOptions(opts))
		if err != nil {
			return err
		}
		body = res
	}
	defer body.Close()
	var stdout, stderr io.Writer = c.Out(), c.Err()
	if !o.raw {
		p := &prefixer{api: api, o: o, padding: len(strconv.Itoa(maxSlots)), cache: map[string]string{}}
		stdout = &logWriter{ctx: ctx, p: p, w: c.Out()}
		stderr = &logWriter{ctx: ctx, p: p, w: c.Err()}
	}
	if tty {
		_, err := io.Copy(stdout, body)
		return err
	}
	_, err := stdcopy.StdCopy(stdout, stderr, body)
	return err
}

// prefixer builds docker's "name.slot.taskid@node" line prefix, once per task.
type prefixer struct {
	api     *client.Client
	o       logsOpts
	padding int
	mu      sync.Mutex
	cache   map[string]string
}

func (p *prefixer) prefix(ctx context.Context, d map[string]string) string {
	key := d["com.docker.swarm.task.id"] + "@" + d["com.docker.swarm.node.id"]
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.cache[key]; ok {
		return s
	}
	nodeName, svcName := d["com.docker.swarm.node.id"], d["com.docker.swarm.service.id"]
	if !p.o.noResolve {
		if n, err := p.api.NodeInspect(ctx, nodeName, client.NodeInspectOptions{}); err == nil {
			nodeName = n.Node.Description.Hostname
		}
		if s, err := p.api.ServiceInspect(ctx, svcName, client.ServiceInspectOptions{}); err == nil {
			svcName = s.Service.Spec.Name
		}
	}
	slot := 0
	taskID := d["com.docker.swarm.task.id"]
	if t, err := p.api.TaskInspect(ctx, taskID, client.TaskInspectOptions{}); err == nil {
		slot = t.Task.Slot
	}
	name := fmt.Sprintf("%s.%d", svcName, slot)
	if !p.o.noTaskIDs {
		if p.o.noTrunc {
			name += "." + taskID
		} else {
			name += "." + format.TruncateID(taskID)
		}
	}
	pad := p.padding - len(strconv.Itoa(slot))
	s := name + "@" + nodeName
	if pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	p.cache[key] = s
	return s
}

// logWriter rewrites each "[timestamp ]details message" line that stdcopy
// hands over whole into docker's prefixed form.
type logWriter struct {
	ctx context.Context
	p   *prefixer
	w   io.Writer
}

func (lw *logWriter) Write(buf []byte) (int, error) {
	n := 2
	if lw.p.o.timestamps {
		n = 3
	}
	parts := bytes.SplitN(buf, []byte(" "), n)
	if len(parts) != n {
		return 0, fmt.Errorf("invalid context in log message: %v", string(buf))
	}
	details, err := parseDetails(string(parts[n-2]))
	if err != nil {
		return 0, err
	}
	var out []byte
	if lw.p.o.timestamps {
		out = append(out, parts[0]...)
		out = append(out, ' ')
	}
	out = append(out, lw.p.prefix(lw.ctx, details)...)
	out = append(out, "    | "...)
	if lw.p.o.details {
		var extra []string
		for k, v := range details {
			if !strings.HasPrefix(k, "com.docker.swarm.") {
				extra = append(extra, k+"="+v)
			}
		}
		if len(extra) > 0 {
			out = append(out, strings.Join(extra, ",")+" "...)
		}
	}
	out = append(out, parts[n-1]...)
	if _, err := lw.w.Write(out); err != nil {
		return 0, err
	}
	return len(buf), nil
}

// parseDetails reads the daemon's url-encoded "k=v,k=v" log details.
func parseDetails(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" {
		return m, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("invalid details format")
		}
		var err error
		if k, err = url.QueryUnescape(k); err != nil {
			return nil, err
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}
