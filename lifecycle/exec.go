package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"sync"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/runtime/oci"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execConfig is an exec instance (in memory only, like Docker's).
type execConfig struct {
	mu          sync.Mutex
	id          string
	containerID string
	req         containertypes.ExecCreateRequest
	running     bool
	started     bool
	exitCode    *int
	pid         int
}

// ExecCreate implements POST /containers/{id}/exec.
func (s *Service) ExecCreate(ctx context.Context, name string, req *containertypes.ExecCreateRequest) (string, error) {
	c, err := s.get(name)
	if err != nil {
		return "", err
	}
	if req == nil || len(req.Cmd) == 0 {
		return "", errdefs.InvalidParameter("No exec command specified")
	}
	if _, err := parseDetachKeys(req.DetachKeys); err != nil {
		return "", err
	}
	c.Lock()
	running, paused := c.IsRunning(), c.State.Status == containertypes.StatePaused
	c.Unlock()
	if !running {
		return "", errdefs.Conflict("container %s is not running", c.ID)
	}
	if paused {
		return "", errdefs.Conflict("container %s is paused, unpause the container before exec", c.ID)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	e := &execConfig{id: hex.EncodeToString(b), containerID: c.ID, req: *req}
	s.mu.Lock()
	s.execs[e.id] = e
	s.mu.Unlock()
	s.logEvent(c, eventAction("exec_create", req.Cmd), map[string]string{"execID": e.id})
	return e.id, nil
}

func eventAction(prefix string, cmd []string) eventtypes.Action {
	return eventtypes.Action(prefix + ": " + strings.Join(cmd, " "))
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *Service) exec(id string) (*execConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.execs[id]
	if !ok {
		return nil, errdefs.NotFound("No such exec instance: %s", id)
	}
	return e, nil
}

func (s *Service) execIDs(containerID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, e := range s.execs {
		if e.containerID == containerID {
			ids = append(ids, id)
		}
	}
	return ids
}

// ExecInspect implements GET /exec/{id}/json.
func (s *Service) ExecInspect(ctx context.Context, id string) (*containertypes.ExecInspectResponse, error) {
	e, err := s.exec(id)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	priv := e.req.Privileged
	return &containertypes.ExecInspectResponse{
		ID:          e.id,
		Running:     e.running,
		ExitCode:    e.exitCode,
		OpenStdin:   e.req.AttachStdin,
		OpenStdout:  e.req.AttachStdout,
		OpenStderr:  e.req.AttachStderr,
		ContainerID: e.containerID,
		Pid:         e.pid,
		CanRemove:   !e.running && e.started,
		DetachKeys:  []byte(e.req.DetachKeys),
		ProcessConfig: &containertypes.ExecProcessConfig{
			Tty: e.req.Tty, Entrypoint: e.req.Cmd[0], Arguments: e.req.Cmd[1:], Privileged: &priv, User: e.req.User,
		},
	}, nil
}

// ExecStart implements POST /exec/{id}/start.
func (s *Service) ExecStart(ctx context.Context, id string, cfg *containerrouter.ExecStartConfig) error {
	e, err := s.exec(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errdefs.Conflict("Error: Exec command %s has already run", id)
	}
	e.started = true
	e.mu.Unlock()

	c, err := s.get(e.containerID)
	if err != nil {
		return err
	}
	sh := s.shim(c.ID)
	if sh == nil || !s.isRunning(c) {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	proc, err := s.execProcess(c.ID, e)
	if err != nil {
		return err
	}
	opts := client.ExecOptions{Tty: e.req.Tty || cfg.Tty}
	if cfg.ConsoleSize != nil {
		opts.Height, opts.Width = uint16(cfg.ConsoleSize[0]), uint16(cfg.ConsoleSize[1])
	} else if e.req.ConsoleSize != nil {
		opts.Height, opts.Width = uint16(e.req.ConsoleSize[0]), uint16(e.req.ConsoleSize[1])
	}
	var stdin io.ReadCloser
	// The detach keys end this stream while the process runs on; its
	// later output is dropped rather than failing the exec.
	detached := make(chan struct{})
	var detachOnce sync.Once
	detach := func() { detachOnce.Do(func() { close(detached) }) }
	if !cfg.Detach && cfg.GetStreams != nil {
		var stdout, stderr io.Writer
		stdin, stdout, stderr, err = cfg.GetStreams(!opts.Tty)
		if err != nil {
			return err
		}
		if e.req.AttachStdin && stdin != nil {
			opts.Stdin = newDetachReader(stdin, e.req.DetachKeys, detach)
		}
		if e.req.AttachStdout {
			opts.Stdout = &detachableWriter{w: stdout, detached: detached}
		}
		if e.req.AttachStderr && !opts.Tty {
			opts.Stderr = &detachableWriter{w: stderr, detached: detached}
		}
	}
	execCtx := context.WithoutCancel(ctx)
	pid, wait, err := sh.Exec(execCtx, e.id, proc, opts)
	if err != nil {
		code := startErrorExitCode(err)
		e.mu.Lock()
		e.exitCode = &code
		e.mu.Unlock()
		if opts.Stderr != nil {
			_, _ = io.WriteString(opts.Stderr, err.Error()+"\n")
		} else if opts.Stdout != nil {
			_, _ = io.WriteString(opts.Stdout, err.Error()+"\n")
		}
		return nil
	}
	e.mu.Lock()
	e.running, e.pid = true, pid
	e.mu.Unlock()
	s.logEvent(c, eventAction("exec_start", e.req.Cmd), map[string]string{"execID": e.id})
	finish := func() {
		code, werr := wait()
		if werr != nil {
			code = 126
		}
		e.mu.Lock()
		e.running, e.exitCode = false, &code
		e.mu.Unlock()
		s.logEvent(c, "exec_die", map[string]string{"execID": e.id, "exitCode": itoa(code)})
	}
	if cfg.Detach {
		go finish()
		return nil
	}
	done := make(chan struct{})
	go func() { finish(); close(done) }()
	select {
	case <-done:
	case <-detached:
	}
	if stdin != nil {
		stdin.Close()
	}
	return nil
}

// detachableWriter passes output on until the client detached, then
// discards it.
type detachableWriter struct {
	w        io.Writer
	detached <-chan struct{}
}

func (d *detachableWriter) Write(p []byte) (int, error) {
	select {
	case <-d.detached:
		return len(p), nil
	default:
	}
	n, err := d.w.Write(p)
	if err != nil {
		select {
		case <-d.detached: // the connection closed under this write
			return len(p), nil
		default:
		}
	}
	return n, err
}

// execProcess builds the OCI process for an exec: the container's
// environment plus the exec's, its user (resolved in the rootfs) and
// working directory, Docker's default capabilities unless privileged.
func (s *Service) execProcess(containerID string, e *execConfig) (*specs.Process, error) {
	c, err := s.get(containerID)
	if err != nil {
		return nil, err
	}
	c.Lock()
	cfg := c.Config
	env := mergeEnv(containerEnv(c, c.LinkEnv), e.req.Env)
	userSpec := cfg.User
	groupAdd := c.HostConfig.GroupAdd
	privileged := c.HostConfig.Privileged || e.req.Privileged
	capAdd, capDrop := c.HostConfig.CapAdd, c.HostConfig.CapDrop
	noNewPriv := false
	for _, o := range c.HostConfig.SecurityOpt {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			noNewPriv = true
		}
	}
	cwd := cfg.WorkingDir
	umask := c.HostConfig.Umask
	ulimits := c.HostConfig.Ulimits
	c.Unlock()
	rl, err := oci.Rlimits(ulimits)
	if err != nil {
		return nil, err
	}
	if e.req.User != "" {
		userSpec = e.req.User
	}
	if e.req.WorkingDir != "" {
		cwd = e.req.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	rootfs, err := s.layers.Mount(containerID)
	if err != nil {
		return nil, err
	}
	defer s.layers.Unmount(containerID)
	user, err := oci.ResolveUserWithGroups(rootfs, userSpec, groupAdd)
	if err != nil {
		return nil, errdefs.AsInvalidParameter(err)
	}
	if umask != nil {
		// HostConfig.Umask (API 1.56) applies to exec processes as well.
		m := *umask
		user.Umask = &m
	}
	caps := execCapabilities(privileged, capAdd, capDrop)
	return &specs.Process{
		Terminal:        e.req.Tty,
		Args:            e.req.Cmd,
		Env:             env,
		Cwd:             cwd,
		User:            user,
		Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		Rlimits:         rl,
		NoNewPrivileges: noNewPriv,
	}, nil
}

func execCapabilities(privileged bool, add, drop []string) []string {
	if privileged {
		return oci.AllCapabilities()
	}
	set := map[string]bool{}
	for _, c := range oci.DefaultCapabilities() {
		set[c] = true
	}
	norm := func(c string) string {
		c = strings.ToUpper(c)
		if !strings.HasPrefix(c, "CAP_") && c != "ALL" {
			c = "CAP_" + c
		}
		return c
	}
	for _, c := range drop {
		if norm(c) == "ALL" {
			set = map[string]bool{}
		}
		delete(set, norm(c))
	}
	for _, c := range add {
		if norm(c) == "ALL" {
			for _, a := range oci.AllCapabilities() {
				set[a] = true
			}
		}
		set[norm(c)] = true
	}
	delete(set, "ALL")
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out
}

// ExecResize implements POST /exec/{id}/resize.
func (s *Service) ExecResize(ctx context.Context, id string, height, width int) error {
	e, err := s.exec(id)
	if err != nil {
		return err
	}
	sh := s.shim(e.containerID)
	if sh == nil {
		return errdefs.Conflict("container %s is not running", e.containerID)
	}
	return sh.ResizeExec(ctx, id, uint16(height), uint16(width))
}
