// Package swarm is swarm mode: a SwarmKit node (raft store, dispatcher,
// orchestrators, scheduler, CA with mutual TLS) embedded in the daemon as
// dockerd embeds it, with tasks run as containers by package
// swarm/executor. It implements the swarm routes' Backend.
package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/swarm/executor"
	"github.com/berth-project/berth/swarm/netalloc"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/node"
	"google.golang.org/grpc"
)

// Docker's wording, which clients and users match on.
const (
	errNoSwarm       = "This node is not part of a swarm"
	errSwarmExists   = "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one."
	errNotManager    = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
	errWorker        = "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."
	errSwarmLocked   = "Swarm is encrypted and needs to be unlocked before it can be used. Please use \"docker swarm unlock\" to unlock it."
	errJoinTimeout   = "Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the \"docker info\" command to see the current swarm status of your node."
	errLeaveLastMgr  = "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. "
	defaultListen    = "0.0.0.0:2377"
	defaultPort      = "2377"
	stateFile        = "docker-state.json"
	readyTimeout     = 20 * time.Second
	controlSocketRel = "control.sock"
)

// Config wires the cluster into the daemon.
type Config struct {
	Root     string // <data-root>/swarm: swarmkit state, certificates, raft log
	RunDir   string // <exec-root>/swarm: control socket, secrets tmpfs
	Executor executor.Config
	Logger   *slog.Logger
	// RemoveTaskContainers deletes every task container (leave).
	RemoveTaskContainers func(ctx context.Context) error
	// Events receives node/service/secret/config events (may be nil).
	Events EventSink
	// Overlay receives the overlay catalog (may be nil).
	Overlay OverlaySink
}

// state is what a daemon restart needs to bring the node back.
type state struct {
	ListenAddr    string
	AdvertiseAddr string
	DataPathAddr  string `json:",omitempty"`
}

// Cluster is this daemon's swarm membership.
type Cluster struct {
	cfg  Config
	exec *executor.Executor

	mu      sync.RWMutex
	node    *node.Node
	cancel  context.CancelFunc
	st      state
	conn    *grpc.ClientConn
	control api.ControlClient
	logs    api.LogsClient
	lastErr error
	locked  bool
}

// New returns the cluster and, when this daemon was part of a swarm
// before its restart, starts the node again from its state.
func New(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Root, 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.RunDir, 0o700); err != nil {
		return nil, err
	}
	cfg.Executor.SecretsDir = filepath.Join(cfg.RunDir, "secrets")
	c := &Cluster{cfg: cfg, exec: executor.New(cfg.Executor)}
	b, err := os.ReadFile(filepath.Join(cfg.Root, stateFile))
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("swarm state %s: %w", stateFile, err)
	}
	c.mu.Lock()
	err = c.startNode(ctx, st, node.Config{}, nil)
	c.mu.Unlock()
	if err != nil {
		// The daemon comes up without swarm rather than not at all, as
		// dockerd does; `docker info` shows the error.
		cfg.Logger.Error("swarm: restarting the node failed", "err", err)
		c.lastErr = err
		return c, nil
	}
	go c.waitReady(context.WithoutCancel(ctx))
	return c, nil
}

func (c *Cluster) waitReady(ctx context.Context) {
	c.mu.RLock()
	n := c.node
	c.mu.RUnlock()
	if n == nil {
		return
	}
	select {
	case <-n.Ready():
	case <-time.After(readyTimeout):
		c.cfg.Logger.Warn("swarm: node not ready after restart", "timeout", readyTimeout)
	}
}

// startNode creates and starts the swarmkit node; c.mu held. extra
// carries the join/init specific fields (JoinAddr, JoinToken,
// ForceNewCluster, AutoLockManagers, Availability).
func (c *Cluster) startNode(ctx context.Context, st state, extra node.Config, unlockKey []byte) error {
	host, _ := os.Hostname()
	nc := extra
	nc.Hostname = host
	nc.StateDir = c.cfg.Root
	nc.ListenControlAPI = filepath.Join(c.cfg.RunDir, controlSocketRel)
	nc.ListenRemoteAPI = st.ListenAddr
	nc.AdvertiseRemoteAPI = st.AdvertiseAddr
	nc.Executor = c.exec
	nc.NetworkProvider = netalloc.Provider{}
	nc.ElectionTick = 10
	nc.HeartbeatTick = 1
	nc.UnlockKey = unlockKey
	n, err := node.New(&nc)
	if err != nil {
		return err
	}
	nctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := n.Start(nctx); err != nil {
		cancel()
		return err
	}
	c.node, c.cancel, c.st, c.lastErr = n, cancel, st, nil
	go c.watchControl(nctx, n)
	go c.runOverlay(nctx, st, n)
	go func() {
		err := n.Err(nctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.node != n || err == nil || errors.Is(err, context.Canceled) {
			return
		}
		if errors.Is(err, node.ErrInvalidUnlockKey) {
			// An autolocked manager after a restart: it waits for
			// `swarm unlock`, as dockerd's does.
			c.node, c.control, c.logs, c.conn = nil, nil, nil, nil
			c.locked = true
			cancel()
			c.cfg.Logger.Warn("swarm: the node is locked; use swarm unlock")
			return
		}
		c.lastErr = err
		c.cfg.Logger.Error("swarm: node stopped", "err", err)
	}()
	return nil
}

// watchControl follows the node's control socket connection: it exists
// only while this node is a manager.
func (c *Cluster) watchControl(ctx context.Context, n *node.Node) {
	var stopEvents context.CancelFunc = func() {}
	defer func() { stopEvents() }()
	for conn := range n.ListenControlSocket(ctx) {
		stopEvents()
		ectx, cancel := context.WithCancel(ctx)
		stopEvents = cancel
		go c.watchEvents(ectx, conn)
		c.mu.Lock()
		if c.node == n {
			c.conn = conn
			if conn != nil {
				c.control = api.NewControlClient(conn)
				c.logs = api.NewLogsClient(conn)
			} else {
				c.control, c.logs = nil, nil
			}
		}
		c.mu.Unlock()
	}
}

func (c *Cluster) saveState(st state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	p := filepath.Join(c.cfg.Root, stateFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// manager returns the control client, or Docker's error for a node that
// is not (yet) a manager.
func (c *Cluster) manager() (api.ControlClient, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.node == nil {
		if c.locked {
			return nil, errdefs.Unavailable("%s", errSwarmLocked)
		}
		return nil, errdefs.Unavailable("%s", errNotManager)
	}
	if c.control == nil {
		if c.node.Manager() == nil && c.node.NodeID() != "" {
			return nil, errdefs.Unavailable("%s", errWorker)
		}
		return nil, errdefs.Unavailable("%s", errNotManager)
	}
	return c.control, nil
}

// waitForManager waits until the control API answers (right after init or
// join the raft leader is still being elected).
func (c *Cluster) waitForManager(ctx context.Context, timeout time.Duration) (api.ControlClient, error) {
	deadline := time.Now().Add(timeout)
	for {
		cc, err := c.manager()
		if err == nil {
			if _, err = cc.ListClusters(ctx, &api.ListClustersRequest{}); err == nil {
				return cc, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// resolveListen turns --listen-addr (ip, ip:port, :port) into host:port.
func resolveListen(addr string) (string, error) {
	if addr == "" {
		return defaultListen, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, defaultPort
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if net.ParseIP(host) == nil {
		// An interface name, as dockerd accepts.
		ip, err := interfaceAddr(host)
		if err != nil {
			return "", errdefs.InvalidParameter("invalid listen address %q: %v", addr, err)
		}
		host = ip.String()
	}
	return net.JoinHostPort(host, port), nil
}

// resolveAdvertise picks the address other nodes reach us at: the given
// one (ip, ip:port or an interface), the listen address when it is
// specific, else the address of the interface holding the default route.
func resolveAdvertise(advertise, listen string) (string, error) {
	_, lport, _ := net.SplitHostPort(listen)
	if advertise != "" {
		host, port, err := net.SplitHostPort(advertise)
		if err != nil {
			host, port = advertise, lport
		}
		if net.ParseIP(host) == nil {
			ip, err := interfaceAddr(host)
			if err != nil {
				return "", errdefs.InvalidParameter("advertise address must be a non-zero IP address or network interface (with optional port number)")
			}
			host = ip.String()
		}
		return net.JoinHostPort(host, port), nil
	}
	lhost, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(lhost); ip != nil && !ip.IsUnspecified() {
		return listen, nil
	}
	ip, err := systemAddr()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(ip.String(), lport), nil
}

// Shutdown stops the node (its containers keep running, as with dockerd).
func (c *Cluster) Shutdown(ctx context.Context) {
	c.mu.Lock()
	n, cancel := c.node, c.cancel
	c.node, c.control, c.logs, c.conn = nil, nil, nil, nil
	c.mu.Unlock()
	if n == nil {
		return
	}
	sctx, done := context.WithTimeout(ctx, 15*time.Second)
	defer done()
	if err := n.Stop(sctx); err != nil && !errors.Is(err, context.Canceled) {
		c.cfg.Logger.Warn("swarm: stopping the node", "err", err)
	}
	cancel()
}

var _ = types.LocalNodeStateInactive
