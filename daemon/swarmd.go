package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/apiserver"
	"github.com/berth-project/berth/apiserver/router"
	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	systemrouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/logger"
	swarmtypes "github.com/moby/moby/api/types/swarm"
)

// dockerd's wording for swarm calls on a node outside a swarm.
const (
	errNotManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
	errNoSwarm    = "This node is not part of a swarm"
)

// swarmd runs berth-swarmd, the process holding the SwarmKit node, and
// forwards the swarm routes to it. SwarmKit lives there rather than in
// the daemon so that a daemon outside a swarm does not pay for it.
type swarmd struct {
	d       *Daemon
	bin     string
	root    string // <data-root>/swarm
	run     string // <exec-root>/swarm
	sock    string // berth-swarmd's API
	engSock string // our internal API for it
	client  *http.Client
	proxy   *httputil.ReverseProxy

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool
	lifeline *os.File // write end of berth-swarmd's lifeline pipe
	internal *apiserver.Server
}

func newSwarmd(d *Daemon) *swarmd {
	s := &swarmd{
		d:    d,
		root: filepath.Join(d.cfg.DataRoot, "swarm"),
		run:  filepath.Join(d.cfg.ExecRoot, "swarm"),
	}
	s.sock = filepath.Join(s.run, "swarmd.sock")
	s.engSock = filepath.Join(s.run, "engine.sock")
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", s.sock)
	}
	s.client = &http.Client{Transport: &http.Transport{DialContext: dial}}
	s.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "swarmd"
		},
		Transport:      &http.Transport{DialContext: dial},
		FlushInterval:  -1, // service logs stream
		ModifyResponse: s.afterResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "swarm component unavailable: " + err.Error()})
		},
	}
	if p, err := findBinary("berth-swarmd"); err == nil {
		s.bin = p
	}
	return s
}

func findBinary(name string) (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath(name)
}

// restore starts berth-swarmd at daemon start when this node is in a swarm.
func (s *swarmd) restore() {
	if _, err := os.Stat(filepath.Join(s.root, "docker-state.json")); err != nil {
		return
	}
	if err := s.start(); err != nil {
		s.d.log.Error("swarm: starting berth-swarmd", "err", err)
	}
}

func (s *swarmd) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// start launches berth-swarmd (and our internal socket for it) and waits
// for its API.
func (s *swarmd) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	if s.bin == "" {
		return errdefs.NotImplemented("swarm mode needs the berth-swarmd binary next to berthd or in PATH")
	}
	if err := os.MkdirAll(s.run, 0o700); err != nil {
		return err
	}
	if s.internal == nil {
		if err := s.serveInternal(); err != nil {
			return err
		}
	}
	_ = os.Remove(s.sock)
	args := []string{"--root", s.root, "--run-dir", s.run, "--engine", s.engSock, "--listen", s.sock,
		"--engine-version", Version, "--log-drivers", strings.Join(logger.Names(), ",")}
	if s.d.cfg.Debug {
		args = append(args, "--debug")
	}
	// berth-swarmd reads fd 3 until EOF: when this process dies, even by
	// SIGKILL, the node goes down with it as dockerd's embedded node would.
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return err
	}
	args = append(args, "--lifeline-fd", "3")
	cmd := exec.Command(s.bin, args...)
	cmd.ExtraFiles = []*os.File{lifeR}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = os.Environ()
	// Its own process group: a ^C to the daemon's terminal must not stop
	// the node before the daemon does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lifeR.Close()
		lifeW.Close()
		return fmt.Errorf("starting berth-swarmd: %w", err)
	}
	lifeR.Close()
	s.lifeline = lifeW
	exited := make(chan struct{})
	s.cmd, s.exited, s.stopping = cmd, exited, false
	go s.supervise(cmd, exited)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", s.sock); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("berth-swarmd exited at start (see the daemon log)")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("berth-swarmd did not answer within 15s")
}

// supervise restarts berth-swarmd if it dies while this node is in a swarm.
func (s *swarmd) supervise(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	close(exited)
	s.mu.Lock()
	stopping := s.stopping
	if s.cmd == cmd {
		s.cmd = nil
		if s.lifeline != nil {
			s.lifeline.Close()
			s.lifeline = nil
		}
	}
	s.mu.Unlock()
	if stopping {
		return
	}
	s.d.log.Warn("swarm: berth-swarmd exited", "err", err)
	time.Sleep(time.Second)
	s.restore()
}

// stop ends berth-swarmd (its task containers keep running).
func (s *swarmd) stop(ctx context.Context) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.stopping = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-exited
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// shutdown stops berth-swarmd and the internal API (daemon shutdown).
func (s *swarmd) shutdown(ctx context.Context) {
	s.stop(ctx)
	s.mu.Lock()
	srv := s.internal
	s.internal = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Shutdown(ctx)
		_ = os.Remove(s.engSock)
	}
}

// serveInternal opens the socket berth-swarmd drives containers through:
// the container, image and system routes, and the ingress load balancer.
// s.mu held.
func (s *swarmd) serveInternal() error {
	_ = os.Remove(s.engSock)
	l, err := net.Listen("unix", s.engSock)
	if err != nil {
		return err
	}
	_ = os.Chmod(s.engSock, 0o600)
	srv := apiserver.New(apiserver.Config{Version: Version, Logger: s.d.log})
	srv.Register(
		systemrouter.NewRouter(s.d),
		containerrouter.NewRouter(s.d.lifecycle),
		imagerouter.NewRouter(s.d.images, s.d.dist),
		s.d.ingressRouter(),
		s.d.overlayRouter(),
	)
	go func() { _ = srv.Serve(l) }()
	s.internal = srv
	return nil
}

// routes forwards every swarm route to berth-swarmd.
func (s *swarmd) routes() router.Router {
	return router.Func(func() []router.Route {
		var out []router.Route
		for _, p := range []string{"/swarm", "/nodes", "/services", "/tasks", "/secrets", "/configs"} {
			out = append(out, router.Route{Path: p, Handler: s.forward}, router.Route{Path: p + "/{rest:.*}", Handler: s.forward})
		}
		return out
	})
}

func (s *swarmd) forward(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if !s.running() {
		p := r.URL.Path
		switch {
		case r.Method == http.MethodPost && (strings.HasSuffix(p, "/swarm/init") || strings.HasSuffix(p, "/swarm/join")):
			if err := s.start(); err != nil {
				return err
			}
		case strings.HasSuffix(p, "/swarm/leave"), strings.HasSuffix(p, "/swarm/unlock"):
			return errdefs.Unavailable("%s", errNoSwarm)
		default:
			return errdefs.Unavailable("%s", errNotManager)
		}
	}
	s.proxy.ServeHTTP(w, r)
	return nil
}

// afterResponse stops berth-swarmd once the node left, or when an init or
// join failed and left it outside a swarm.
func (s *swarmd) afterResponse(resp *http.Response) error {
	p := resp.Request.URL.Path
	switch {
	case strings.HasSuffix(p, "/swarm/leave") && resp.StatusCode == http.StatusOK:
		go func() {
			s.stop(context.Background())
			// The cluster's networks go with the node's tasks.
			if s.d.net != nil {
				_ = s.d.net.ReleaseIdleOverlays(context.Background())
			}
		}()
	case (strings.HasSuffix(p, "/swarm/init") || strings.HasSuffix(p, "/swarm/join")) && resp.StatusCode >= 400:
		go func() {
			if st, _ := s.status(); st.State == string(swarmtypes.LocalNodeStateInactive) {
				s.stop(context.Background())
			}
		}()
	}
	return nil
}

type swarmStatus struct {
	State   string
	Manager bool
}

func (s *swarmd) status() (swarmStatus, error) {
	var st swarmStatus
	err := s.get("/_berth/swarm/status", time.Second, &st)
	return st, err
}

func (s *swarmd) get(path string, timeout time.Duration, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.call(ctx, http.MethodGet, path, nil, v)
}

// call is one request to berth-swarmd's internal API: body and out are
// JSON, and an error status comes back as the errdefs kind it names.
func (s *swarmd) call(ctx context.Context, method, path string, body, out any) error {
	rd := bytes.NewReader(nil)
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://swarmd"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return errdefs.Unavailable("swarm component unavailable: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var m struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return errdefs.FromStatus(resp.StatusCode, m.Message)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// info is the Swarm section of /info.
func (s *swarmd) info() swarmtypes.Info {
	info := swarmtypes.Info{LocalNodeState: swarmtypes.LocalNodeStateInactive}
	if !s.running() {
		return info
	}
	if err := s.get("/_berth/swarm/info", 3*time.Second, &info); err != nil {
		return swarmtypes.Info{LocalNodeState: swarmtypes.LocalNodeStateError, Error: "swarm component unavailable: " + err.Error()}
	}
	return info
}

// SwarmPingStatus is the Swarm header of /_ping.
func (d *Daemon) SwarmPingStatus() string {
	if d.swarm == nil || !d.swarm.running() {
		return "inactive"
	}
	st, err := d.swarm.status()
	if err != nil {
		return "error"
	}
	if st.State == string(swarmtypes.LocalNodeStateActive) {
		if st.Manager {
			return "active/manager"
		}
		return "active/worker"
	}
	return st.State
}
