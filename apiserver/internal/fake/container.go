// Package fake holds in-memory implementations of the router backends for
// the apiserver tests: real, small behaviour (a container store, a
// log buffer, an echoing attach) rather than scripted mocks.
package fake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
)

// Container is one fake container.
type Container struct {
	ID       string
	Name     string
	Config   container.Config
	Host     *container.HostConfig
	Platform string
	Running  bool
	Exit     int64
	Logs     []crouter.LogMessage
	exited   chan struct{}
}

// Containers is a fake container backend. Attach echoes stdin lines to
// stdout and writes "err:<line>" to stderr for each; exec runs "echo ARGS"
// by writing ARGS to stdout.
type Containers struct {
	mu    sync.Mutex
	byID  map[string]*Container
	execs map[string]*container.ExecInspectResponse
	seq   int

	// AttachCtxDone is closed when an attach call sees its context end;
	// tests use it to check that a client hang-up cancels the backend.
	AttachCtxDone chan struct{}
	// LastCommit records the last commit options.
	LastCommit crouter.CommitOptions
}

// NewContainers returns an empty backend.
func NewContainers() *Containers {
	return &Containers{byID: map[string]*Container{}, execs: map[string]*container.ExecInspectResponse{}, AttachCtxDone: make(chan struct{})}
}

func (f *Containers) get(name string) (*Container, error) {
	for _, c := range f.byID {
		if c.ID == name || c.Name == name || strings.HasPrefix(c.ID, name) {
			return c, nil
		}
	}
	return nil, errdefs.NotFound("No such container: %s", name)
}

// Add stores a container directly (for tests that need logs or state).
func (f *Containers) Add(c *Container) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.exited == nil {
		c.exited = make(chan struct{})
	}
	f.byID[c.ID] = c
}

func (f *Containers) ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Image == "" {
		return container.CreateResponse{}, errdefs.InvalidParameter("no image specified")
	}
	if name != "" {
		if _, err := f.get(name); err == nil {
			return container.CreateResponse{}, errdefs.Conflict("Conflict. The container name \"/%s\" is already in use", name)
		}
	}
	f.seq++
	id := fmt.Sprintf("%064x", f.seq)
	if name == "" {
		name = fmt.Sprintf("fake_%d", f.seq)
	}
	f.byID[id] = &Container{ID: id, Name: name, Config: *req.Config, Host: req.HostConfig, Platform: crouter.PlatformFromContext(ctx), exited: make(chan struct{})}
	return container.CreateResponse{ID: id}, nil
}

func (f *Containers) ContainerStart(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	if c.Running {
		return errdefs.NotModified("container already started")
	}
	c.Running = true
	select {
	case <-c.exited:
		// Waiters registered from now on wait for this run.
		c.exited = make(chan struct{})
	default:
	}
	return nil
}

func (f *Containers) stopLocked(c *Container, code int64) {
	if c.Running {
		c.Running = false
		c.Exit = code
		close(c.exited)
	}
}

func (f *Containers) ContainerStop(ctx context.Context, name string, signal string, timeout *int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	f.stopLocked(c, 143)
	return nil
}

func (f *Containers) ContainerRestart(ctx context.Context, name string, signal string, timeout *int) error {
	if err := f.ContainerStop(ctx, name, signal, timeout); err != nil {
		return err
	}
	return f.ContainerStart(ctx, name)
}

func (f *Containers) ContainerKill(ctx context.Context, name string, signal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	if !c.Running {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	f.stopLocked(c, 137)
	return nil
}

func (f *Containers) ContainerPause(ctx context.Context, name string) error {
	return errdefs.NotImplemented("pause is not supported by the fake")
}

func (f *Containers) ContainerUnpause(ctx context.Context, name string) error {
	return errdefs.NotImplemented("unpause is not supported by the fake")
}

func (f *Containers) ContainerRemove(ctx context.Context, name string, opts crouter.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	if c.Running && !opts.Force {
		return errdefs.Conflict("cannot remove container %q: container is running: stop the container before removing or force remove", name)
	}
	delete(f.byID, c.ID)
	return nil
}

func (f *Containers) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan crouter.WaitResult, error) {
	f.mu.Lock()
	c, err := f.get(name)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	ch := make(chan crouter.WaitResult, 1)
	go func() {
		select {
		case <-c.exited:
			f.mu.Lock()
			ch <- crouter.WaitResult{StatusCode: c.Exit}
			f.mu.Unlock()
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

func (f *Containers) ContainerRename(ctx context.Context, oldName, newName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(oldName)
	if err != nil {
		return err
	}
	c.Name = newName
	return nil
}

func (f *Containers) ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	cfg := c.Config
	status := container.StateExited
	if c.Running {
		status = container.StateRunning
	}
	resp := &container.InspectResponse{ID: c.ID, Name: "/" + c.Name, Image: cfg.Image, Config: &cfg, HostConfig: c.Host,
		State: &container.State{Status: status, Running: c.Running, ExitCode: int(c.Exit)}}
	if size {
		var n int64 = 42
		resp.SizeRw = &n
	}
	return resp, nil
}

func (f *Containers) ContainerList(ctx context.Context, opts crouter.ListOptions) ([]container.Summary, error) {
	if err := opts.Filters.Validate("name", "id", "status", "label", "before", "since"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for _, c := range f.byID {
		if !opts.All && !c.Running {
			continue
		}
		if !opts.Filters.Match("name", c.Name) || !opts.Filters.FuzzyMatch("id", c.ID) {
			continue
		}
		out = append(out, container.Summary{ID: c.ID, Names: []string{"/" + c.Name}, Image: c.Config.Image})
	}
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out, nil
}

func (f *Containers) ContainerLogs(ctx context.Context, name string, opts crouter.LogsOptions) (<-chan *crouter.LogMessage, bool, error) {
	f.mu.Lock()
	c, err := f.get(name)
	var msgs []crouter.LogMessage
	if err == nil {
		msgs = append(msgs, c.Logs...)
	}
	f.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	if opts.Tail >= 0 && opts.Tail < len(msgs) {
		msgs = msgs[len(msgs)-opts.Tail:]
	}
	ch := make(chan *crouter.LogMessage)
	go func() {
		defer close(ch)
		for i := range msgs {
			m := msgs[i]
			if !opts.Since.IsZero() && m.Time.Before(opts.Since) {
				continue
			}
			if !opts.Until.IsZero() && m.Time.After(opts.Until) {
				continue
			}
			select {
			case ch <- &m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, c.Config.Tty, nil
}

func (f *Containers) ContainerAttach(ctx context.Context, name string, cfg *crouter.AttachConfig) error {
	f.mu.Lock()
	c, err := f.get(name)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	stdin, stdout, stderr, err := cfg.GetStreams(!c.Config.Tty)
	if err != nil {
		return err
	}
	if !cfg.UseStdin {
		// Stream until the container exits or the client goes away.
		select {
		case <-c.exited:
		case <-ctx.Done():
			close(f.AttachCtxDone)
		}
		return nil
	}
	// Like a real process, the container only reads stdin once started.
	for !f.running(c) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		fmt.Fprintf(stdout, "%s\n", sc.Text())
		if !c.Config.Tty {
			fmt.Fprintf(stderr, "err:%s\n", sc.Text())
		}
	}
	stdin.Close()
	if c.Config.StdinOnce {
		// Like a `cat` whose stdin closed: the container exits.
		f.mu.Lock()
		f.stopLocked(c, 0)
		f.mu.Unlock()
	}
	return nil
}

func (f *Containers) running(c *Container) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return c.Running
}

func (f *Containers) ContainerResize(ctx context.Context, name string, height, width int) error {
	_, err := f.ContainerInspect(ctx, name, false)
	return err
}

// ContainerStats gives one fixed sample per call (a stream sends two).
func (f *Containers) ContainerStats(ctx context.Context, name string, opts crouter.StatsOptions, emit func(*container.StatsResponse) error) error {
	c, err := f.ContainerInspect(ctx, name, false)
	if err != nil {
		return err
	}
	n := 1
	if opts.Stream {
		n = 2
	}
	for i := 0; i < n; i++ {
		if err := emit(&container.StatsResponse{ID: c.ID, Name: c.Name, PidsStats: container.PidsStats{Current: uint64(i + 1)}}); err != nil {
			return err
		}
	}
	return nil
}

func (f *Containers) ContainerTop(ctx context.Context, name string, psArgs string) (*container.TopResponse, error) {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return nil, err
	}
	return &container.TopResponse{Titles: []string{"PID", "CMD"}, Processes: [][]string{{"1", "sh " + psArgs}}}, nil
}

func (f *Containers) ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error) {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return nil, err
	}
	return []container.FilesystemChange{{Kind: container.ChangeAdd, Path: "/tmp/x"}}, nil
}

func (f *Containers) ContainerStatPath(ctx context.Context, name, path string) (*container.PathStat, error) {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return nil, err
	}
	if path != "/etc/hostname" {
		return nil, errdefs.NotFound("Could not find the file %s in container %s", path, name)
	}
	return &container.PathStat{Name: "hostname", Size: 5, Mode: 0o644, Mtime: time.Unix(1700000000, 0).UTC()}, nil
}

func (f *Containers) ContainerArchivePath(ctx context.Context, name, path string) (io.ReadCloser, *container.PathStat, error) {
	st, err := f.ContainerStatPath(ctx, name, path)
	if err != nil {
		return nil, nil, err
	}
	return io.NopCloser(strings.NewReader("TAR:" + path)), st, nil
}

func (f *Containers) ContainerExtractToDir(ctx context.Context, name, path string, copyUIDGID, noOverwriteDirNonDir bool, content io.Reader) error {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, content)
	return err
}

func (f *Containers) ContainerExport(ctx context.Context, name string, out io.Writer) error {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return err
	}
	_, err := io.WriteString(out, "EXPORT:"+name)
	return err
}

func (f *Containers) ContainerUpdate(ctx context.Context, name string, cfg *container.UpdateConfig) (container.UpdateResponse, error) {
	_, err := f.ContainerInspect(ctx, name, false)
	return container.UpdateResponse{}, err
}

func (f *Containers) ContainersPrune(ctx context.Context, fl filters.Args) (*container.PruneReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rep := &container.PruneReport{}
	for id, c := range f.byID {
		if !c.Running {
			delete(f.byID, id)
			rep.ContainersDeleted = append(rep.ContainersDeleted, id)
		}
	}
	return rep, nil
}

func (f *Containers) ContainerCommit(ctx context.Context, name string, opts crouter.CommitOptions) (string, error) {
	if _, err := f.ContainerInspect(ctx, name, false); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.LastCommit = opts
	f.mu.Unlock()
	return "sha256:" + strings.Repeat("c", 64), nil
}

func (f *Containers) ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return "", err
	}
	if !c.Running {
		return "", errdefs.Conflict("container %s is not running", c.ID)
	}
	f.seq++
	id := fmt.Sprintf("exec%060x", f.seq)
	f.execs[id] = &container.ExecInspectResponse{ID: id, ContainerID: c.ID, OpenStdin: req.AttachStdin, ProcessConfig: &container.ExecProcessConfig{Tty: req.Tty, Entrypoint: req.Cmd[0], Arguments: req.Cmd[1:]}}
	return id, nil
}

func (f *Containers) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.execs[id]
	if !ok {
		return nil, errdefs.NotFound("No such exec instance: %s", id)
	}
	cp := *e
	return &cp, nil
}

func (f *Containers) ExecStart(ctx context.Context, id string, cfg *crouter.ExecStartConfig) error {
	e, err := f.ExecInspect(ctx, id)
	if err != nil {
		return err
	}
	if cfg.Detach {
		return nil
	}
	_, stdout, stderr, err := cfg.GetStreams(!e.ProcessConfig.Tty)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", strings.Join(e.ProcessConfig.Arguments, " "))
	fmt.Fprintf(stderr, "exec-stderr\n")
	f.mu.Lock()
	f.execs[id].ExitCode = new(int)
	f.mu.Unlock()
	return nil
}

func (f *Containers) ExecResize(ctx context.Context, id string, height, width int) error {
	_, err := f.ExecInspect(ctx, id)
	return err
}
