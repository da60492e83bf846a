package swarm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/swarm/convert"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
	"github.com/moby/swarmkit/v2/manager/encryption"
	"github.com/moby/swarmkit/v2/node"
)

// Init makes this node the first manager of a new swarm.
func (c *Cluster) Init(ctx context.Context, req types.InitRequest) (string, error) {
	c.mu.Lock()
	if c.node != nil && !req.ForceNewCluster {
		c.mu.Unlock()
		return "", errdefs.Unavailable("%s", errSwarmExists)
	}
	listen, err := resolveListen(req.ListenAddr)
	if err != nil {
		c.mu.Unlock()
		return "", err
	}
	adv, err := resolveAdvertise(req.AdvertiseAddr, listen)
	if err != nil {
		c.mu.Unlock()
		return "", err
	}
	if c.node != nil { // --force-new-cluster on a running node
		c.mu.Unlock()
		c.Shutdown(ctx)
		c.mu.Lock()
	}
	if !req.ForceNewCluster {
		clearState(c.cfg.Root)
	}
	st := state{ListenAddr: listen, AdvertiseAddr: adv, DataPathAddr: req.DataPathAddr}
	extra := node.Config{ForceNewCluster: req.ForceNewCluster, AutoLockManagers: req.AutoLockManagers, Availability: availability(req.Availability)}
	if len(req.DefaultAddrPool) > 0 || req.SubnetSize != 0 || req.DataPathPort != 0 {
		nc := &networkallocator.Config{SubnetSize: req.SubnetSize, VXLANUDPPort: req.DataPathPort}
		for _, p := range req.DefaultAddrPool {
			nc.DefaultAddrPool = append(nc.DefaultAddrPool, p.String())
		}
		extra.NetworkConfig = nc
	}
	if err := c.startNode(ctx, st, extra, nil); err != nil {
		c.mu.Unlock()
		return "", err
	}
	n := c.node
	c.mu.Unlock()
	if err := c.awaitReady(ctx, n); err != nil {
		c.Shutdown(ctx)
		clearState(c.cfg.Root)
		return "", err
	}
	if err := c.saveState(st); err != nil {
		return "", err
	}
	cc, err := c.waitForManager(ctx, readyTimeout)
	if err != nil {
		return "", err
	}
	if err := c.initClusterSpec(ctx, cc, req.Spec); err != nil {
		return n.NodeID(), err
	}
	return n.NodeID(), nil
}

func availability(a types.NodeAvailability) api.NodeSpec_Availability {
	switch a {
	case types.NodeAvailabilityPause:
		return api.NodeAvailabilityPause
	case types.NodeAvailabilityDrain:
		return api.NodeAvailabilityDrain
	}
	return api.NodeAvailabilityActive
}

// awaitReady waits for the node to have its certificate and role; a node
// that fails meanwhile reports why.
func (c *Cluster) awaitReady(ctx context.Context, n *node.Node) error {
	errc := make(chan error, 1)
	go func() { errc <- n.Err(context.WithoutCancel(ctx)) }()
	select {
	case <-n.Ready():
		return nil
	case err := <-errc:
		if err == nil {
			err = errors.New("swarm component could not be started")
		}
		return errdefs.Unavailable("%s", err.Error())
	case <-time.After(readyTimeout):
		return errdefs.Unavailable("%s", errJoinTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// initClusterSpec applies the spec given to init over swarmkit's defaults.
func (c *Cluster) initClusterSpec(ctx context.Context, cc api.ControlClient, spec types.Spec) error {
	var last error
	for i := 0; i < 50; i++ {
		lc, err := cc.ListClusters(ctx, &api.ListClustersRequest{})
		if err == nil && len(lc.Clusters) > 0 {
			cl := lc.Clusters[0]
			merged, err := convert.MergeSwarmSpecToGRPC(spec, cl.Spec)
			if err != nil {
				return errdefs.InvalidParameter("%s", err.Error())
			}
			_, err = cc.UpdateCluster(ctx, &api.UpdateClusterRequest{ClusterID: cl.ID, ClusterVersion: &cl.Meta.Version, Spec: &merged})
			if err == nil {
				return nil
			}
			last = err
		} else if err != nil {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return grpcErr(last)
}

// Join joins an existing swarm through one of its managers.
func (c *Cluster) Join(ctx context.Context, req types.JoinRequest) error {
	c.mu.Lock()
	if c.node != nil {
		c.mu.Unlock()
		return errdefs.Unavailable("%s", errSwarmExists)
	}
	if len(req.RemoteAddrs) == 0 {
		c.mu.Unlock()
		return errdefs.InvalidParameter("at least 1 RemoteAddr is required to join")
	}
	listen, err := resolveListen(req.ListenAddr)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	adv, err := resolveAdvertise(req.AdvertiseAddr, listen)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	clearState(c.cfg.Root)
	st := state{ListenAddr: listen, AdvertiseAddr: adv, DataPathAddr: req.DataPathAddr}
	remote := req.RemoteAddrs[0]
	if !strings.Contains(remote, ":") {
		remote += ":" + defaultPort
	}
	extra := node.Config{JoinAddr: remote, JoinToken: req.JoinToken, Availability: availability(req.Availability)}
	if err := c.startNode(ctx, st, extra, nil); err != nil {
		c.mu.Unlock()
		return err
	}
	n := c.node
	c.mu.Unlock()
	if err := c.awaitReady(ctx, n); err != nil {
		if !strings.Contains(err.Error(), "Timeout was reached") {
			// A refused join leaves the node out of any swarm, as
			// dockerd's: inactive, not in error.
			c.Shutdown(ctx)
			clearState(c.cfg.Root)
			c.mu.Lock()
			c.lastErr = nil
			c.mu.Unlock()
		}
		return err
	}
	if err := c.saveState(st); err != nil {
		return err
	}
	// A manager answers for the cluster when Join returns, as dockerd's
	// (the CLI reads ControlAvailable right after to say "as a manager").
	if n.Manager() != nil {
		_, _ = c.waitForManager(ctx, readyTimeout)
	}
	return nil
}

// Leave stops the node, forgets the swarm and removes the task containers.
func (c *Cluster) Leave(ctx context.Context, force bool) error {
	c.mu.RLock()
	n := c.node
	c.mu.RUnlock()
	if n == nil {
		if _, err := os.Stat(filepath.Join(c.cfg.Root, stateFile)); err != nil {
			return errdefs.Unavailable("%s", errNoSwarm)
		}
	}
	if n != nil && !force && n.Manager() != nil {
		if cc, err := c.manager(); err == nil {
			if ln, err := cc.ListNodes(ctx, &api.ListNodesRequest{Filters: &api.ListNodesRequest_Filters{Roles: []api.NodeRole{api.NodeRoleManager}}}); err == nil && len(ln.Nodes) <= 1 {
				return errdefs.Unavailable("%s", errLeaveLastMgr)
			}
		}
	}
	c.Shutdown(ctx)
	if c.cfg.RemoveTaskContainers != nil {
		if err := c.cfg.RemoveTaskContainers(ctx); err != nil {
			c.cfg.Logger.Warn("swarm leave: removing task containers", "err", err)
		}
	}
	c.exec.Cleanup()
	clearState(c.cfg.Root)
	c.mu.Lock()
	c.locked, c.lastErr = false, nil
	c.mu.Unlock()
	return nil
}

// clearState deletes swarmkit's state (certificates, raft log) and ours.
func clearState(root string) {
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		_ = os.RemoveAll(filepath.Join(root, e.Name()))
	}
}

// Status is the local node state and whether this node is a manager,
// without asking the control API (it backs every /_ping).
func (c *Cluster) Status() (types.LocalNodeState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	switch {
	case c.locked:
		return types.LocalNodeStateLocked, false
	case c.node == nil && c.lastErr != nil:
		return types.LocalNodeStateError, false
	case c.node == nil:
		return types.LocalNodeStateInactive, false
	}
	select {
	case <-c.node.Ready():
	default:
		return types.LocalNodeStatePending, false
	}
	return types.LocalNodeStateActive, c.control != nil
}

// Info is the Swarm section of GET /info.
func (c *Cluster) Info(ctx context.Context) types.Info {
	c.mu.RLock()
	n, st, lastErr, locked := c.node, c.st, c.lastErr, c.locked
	cc := c.control
	c.mu.RUnlock()
	info := types.Info{LocalNodeState: types.LocalNodeStateInactive}
	switch {
	case locked:
		info.LocalNodeState = types.LocalNodeStateLocked
		return info
	case n == nil && lastErr != nil:
		info.LocalNodeState = types.LocalNodeStateError
		info.Error = lastErr.Error()
		return info
	case n == nil:
		return info
	}
	info.NodeID = n.NodeID()
	info.NodeAddr = hostOf(st.AdvertiseAddr)
	select {
	case <-n.Ready():
		info.LocalNodeState = types.LocalNodeStateActive
	default:
		info.LocalNodeState = types.LocalNodeStatePending
	}
	if lastErr != nil {
		info.LocalNodeState = types.LocalNodeStateError
		info.Error = lastErr.Error()
	}
	for _, p := range n.Remotes() {
		info.RemoteManagers = append(info.RemoteManagers, types.Peer{NodeID: p.NodeID, Addr: p.Addr})
	}
	if cc == nil {
		return info
	}
	info.ControlAvailable = true
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if lc, err := cc.ListClusters(qctx, &api.ListClustersRequest{}); err == nil && len(lc.Clusters) > 0 {
		sw := convert.SwarmFromGRPC(lc.Clusters[0])
		info.Cluster = &sw.ClusterInfo
	}
	if ln, err := cc.ListNodes(qctx, &api.ListNodesRequest{}); err == nil {
		info.Nodes = len(ln.Nodes)
		for _, nd := range ln.Nodes {
			if nd.ManagerStatus != nil {
				info.Managers++
			}
		}
	}
	return info
}

func hostOf(hostport string) string {
	if i := strings.LastIndex(hostport, ":"); i >= 0 {
		return strings.Trim(hostport[:i], "[]")
	}
	return hostport
}

var _ = encryption.HumanReadableKey
