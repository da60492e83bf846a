package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/runtime/oci"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
)

// ContainerStart implements POST /containers/{id}/start.
func (s *Service) ContainerStart(ctx context.Context, name string) error {
	defer s.observe("start", time.Now())
	c, err := s.get(name)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.IsRunning() || c.State.Status == containertypes.StateRestarting {
		return errdefs.NotModified("container already started")
	}
	if c.State.Removing || c.Removed {
		return errdefs.Conflict("cannot start container %s: container is marked for removal", c.ShortID())
	}
	// A manual start judges the next exits afresh (Docker zeroes the
	// count too) and forgets an earlier manual stop.
	c.ResetRestartManager(true)
	c.HasBeenManuallyStopped = false
	if err := s.start(ctx, c); err != nil {
		// Attaches waiting for this start end now: there is no output.
		s.endPending(c.ID)
		c.State.Error = err.Error()
		c.State.ExitCode = startErrorExitCode(err)
		if !c.HasBeenStarted {
			c.State.Status = containertypes.StateCreated
		} else {
			c.State.Status = containertypes.StateExited
		}
		_ = s.store.Save(c)
		c.Notify()
		if c.HostConfig.AutoRemove {
			// Like Docker: a --rm container that cannot start is removed,
			// which is what `docker run --rm` waits for.
			go func() { _ = s.ContainerRemove(context.Background(), c.ID, removeOpts(true)) }()
		}
		return err
	}
	return nil
}

// startErrorExitCode mirrors Docker: 127 for a missing command, 126 for one
// that cannot be executed, 128 otherwise.
func startErrorExitCode(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return 126
	}
	return 128
}

// start runs with c locked. Every step registers its undo so that a
// failure leaves no mount, namespace, veth, rule or shim behind.
func (s *Service) start(ctx context.Context, c *container.Container) (retErr error) {
	var undo []func()
	defer func() {
		if retErr != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	rt, err := s.runtimeFor(c.HostConfig.Runtime)
	if err != nil {
		return err
	}

	tr := newTrace(c.ID)
	defer tr.done()
	rootfs, err := s.layers.Mount(c.ID)
	if err != nil {
		return fmt.Errorf("mount rootfs: %w", err)
	}
	tr.mark("mount")
	undo = append(undo, func() { _ = s.layers.Unmount(c.ID) })
	mounts, releaseMounts, err := s.setupMounts(c, rootfs)
	if err != nil {
		return err
	}
	undo = append(undo, releaseMounts)

	undo = append(undo, func() { s.teardownNetwork(context.WithoutCancel(ctx), c) })
	ns, err := s.setupNetwork(ctx, c)
	if err != nil {
		return err
	}
	tr.mark("network")
	if err := s.writeEtcFiles(c, ns); err != nil {
		return err
	}
	tr.mark("etc files")

	bundle := s.bundleDir(c.ID)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return err
	}
	undo = append(undo, func() { _ = os.RemoveAll(bundle) })

	env := containerEnv(c, ns.env)
	args := append([]string{c.Path}, c.Args...)
	hostConfig := c.HostConfig
	if hostConfig.Init == nil && s.cfg.Init {
		// The daemon's --init, applied at start as dockerd does (inspect
		// keeps the container's own null).
		hc := *hostConfig
		init := true
		hc.Init = &init
		hostConfig = &hc
	}
	spec, err := oci.Generate(oci.Input{
		ID:             c.ID,
		Rootfs:         rootfs,
		Config:         c.Config,
		HostConfig:     hostConfig,
		Args:           args,
		Env:            env,
		Hostname:       c.Config.Hostname,
		NetNSPath:      ns.netnsPath,
		HostsPath:      c.HostsPath,
		HostnamePath:   c.HostnamePath,
		ResolvConfPath: c.ResolvConfPath,
		CgroupsPath:    filepath.Join(s.cfg.CgroupParent, c.ID),
		InitPath:       s.cfg.InitPath,
		ExtraMounts:    mounts,
	})
	if err != nil {
		return err
	}
	if rt.Path != "" {
		// External runtimes check the spec version: crun 1.8 (Debian 12)
		// refuses 1.3.0. Nothing we generate needs more than 1.0.2.
		spec.Version = "1.0.2"
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		return err
	}
	tr.mark("spec")
	ship, err := s.openLogDriver(c)
	if err != nil {
		return err
	}
	undo = append(undo, func() { ship.abort() })
	maxSize, maxFile, compress := s.logLimits(c)
	sh, err := client.Create(ctx, client.StartOptions{
		ShimPath:    s.cfg.ShimPath,
		ID:          c.ID,
		BundleDir:   bundle,
		Runtime:     rt.Path,
		RuntimeRoot: s.cfg.runtimeRoot(),
		LogPath:     c.LogPath,
		LogMaxSize:  maxSize,
		LogMaxFile:  maxFile,
		LogCompress: compress,
		OpenStdin:   c.Config.OpenStdin,
		StdinOnce:   c.Config.StdinOnce,
		Tty:         c.Config.Tty,
	})
	if err != nil {
		return errdefs.InvalidParameter("failed to create task for container: %v", err)
	}
	undo = append(undo, func() {
		_ = sh.Kill(context.Background(), 9, true)
		_, _ = sh.Wait(context.Background())
		sh.Close()
	})
	tr.mark("shim create")
	// Attaches made before start get every byte of output: connect them
	// to the shim now, before the process runs.
	s.connectPending(ctx, c, sh)
	if err := sh.Start(ctx); err != nil {
		logShimFailure(bundle, "start", err)
		return fmt.Errorf("start container: %w", err)
	}
	tr.mark("attach+start")
	awaitExec(sh.Pid(), spec.Process.Args[0])
	tr.mark("exec")
	s.mu.Lock()
	s.shims[c.ID] = sh
	s.mu.Unlock()

	c.State = container.State{Status: containertypes.StateRunning, Pid: sh.Pid(), StartedAt: time.Now().UTC(), Health: c.State.Health}
	s.startHealth(c, sh)
	s.startShipping(c, ship)
	c.HasBeenStarted = true
	c.Runtime = c.HostConfig.Runtime
	if err := s.store.Save(c); err != nil {
		return err
	}
	tr.mark("save")
	c.Notify()
	s.logEvent(c, "start", nil)
	go s.monitor(c, sh)
	return nil
}

// containerEnv is the process environment: defaults, then legacy link
// variables, then the container's own (which win).
func containerEnv(c *container.Container, links []string) []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + c.Config.Hostname}
	if c.Config.Tty {
		env = append(env, "TERM=xterm")
	}
	env = mergeEnv(env, links)
	return mergeEnv(env, c.Config.Env)
}

// monitor waits for the container's exit and records it.
func (s *Service) monitor(c *container.Container, sh *client.Shim) {
	status, err := sh.Wait(context.Background())
	if err != nil {
		// The shim died without reporting: read what it recorded.
		if st, rerr := client.ReadExit(s.bundleDir(c.ID)); rerr == nil {
			status = st
		} else {
			status = client.ExitStatus{ExitCode: 255, ExitedAt: time.Now(), Error: err.Error()}
			// Nobody saw the container exit: it may still run.
			s.killOrphans(c.ID)
		}
	}
	s.handleExit(c, status)
}

// handleExit records an exit, releases the run resources and applies
// --rm.
func (s *Service) handleExit(c *container.Container, status client.ExitStatus) {
	s.mu.Lock()
	sh := s.shims[c.ID]
	delete(s.shims, c.ID)
	s.mu.Unlock()
	if sh != nil {
		sh.Close()
	}
	tr := newTrace(c.ID)
	defer tr.done()
	c.Lock()
	s.releaseRunResources(c, tr)
	tr.mark("release")
	s.stopHealth(c)
	s.stopShipping(c.ID)
	c.State.Status = containertypes.StateExited
	c.State.Pid = 0
	c.State.ExitCode = status.ExitCode
	c.State.OOMKilled = status.OOMKilled
	c.State.Error = status.Error
	if status.ExitedAt.IsZero() {
		status.ExitedAt = time.Now()
	}
	c.State.FinishedAt = status.ExitedAt.UTC()
	if status.OOMKilled {
		// Docker reports the kernel's OOM kill before the exit. The
		// shim tells us at exit, so an OOM kill of a child process that
		// leaves the container running is not reported.
		s.logEvent(c, "oom", nil)
	}
	// Docker 25+ adds how long the container ran (whole seconds).
	ran := int(status.ExitedAt.Sub(c.State.StartedAt).Seconds())
	s.logEvent(c, "die", map[string]string{"exitCode": strconv.Itoa(status.ExitCode), "execDuration": strconv.Itoa(max(ran, 0))})
	restarting := !c.State.Removing && !c.Removed && s.scheduleRestart(c, status)
	_ = s.store.Save(c)
	c.Notify()
	autoRemove := c.HostConfig.AutoRemove && !c.State.Removing && !restarting
	c.Unlock()
	tr.mark("save")
	if autoRemove {
		if err := s.ContainerRemove(context.Background(), c.ID, removeOpts(true)); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			fmt.Fprintf(os.Stderr, "auto-remove %s: %v\n", c.ShortID(), err)
		}
		tr.mark("remove")
	}
}

// releaseRunResources undoes start: network, namespace, rootfs mount and
// bundle. Called with c locked.
func (s *Service) releaseRunResources(c *container.Container, tr *trace) {
	s.teardownNetwork(context.Background(), c)
	tr.mark("network")
	_ = s.layers.Unmount(c.ID)
	s.releaseMounts(c)
	tr.mark("unmount")
	_ = os.RemoveAll(s.bundleDir(c.ID))
}
