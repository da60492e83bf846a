package swarm

import (
	"context"
	"time"

	swarmrouter "github.com/berth-project/berth/apiserver/router/swarm"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/swarm/convert"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/encryption"
	"github.com/moby/swarmkit/v2/node"
)

func (c *Cluster) cluster(ctx context.Context, cc api.ControlClient) (*api.Cluster, error) {
	lc, err := cc.ListClusters(ctx, &api.ListClustersRequest{})
	if err != nil {
		return nil, grpcErr(err)
	}
	if len(lc.Clusters) == 0 {
		return nil, errdefs.NotFound("swarm not found")
	}
	return lc.Clusters[0], nil
}

// Inspect is GET /swarm.
func (c *Cluster) Inspect(ctx context.Context) (types.Swarm, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Swarm{}, err
	}
	cl, err := c.cluster(ctx, cc)
	if err != nil {
		return types.Swarm{}, err
	}
	return convert.SwarmFromGRPC(cl), nil
}

// Update is POST /swarm/update: the spec at version, token rotation.
func (c *Cluster) Update(ctx context.Context, version uint64, spec types.Spec, flags swarmrouter.UpdateFlags) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	cl, err := c.cluster(ctx, cc)
	if err != nil {
		return err
	}
	// A whole spec, as dockerd sends it: what the client cleared stays cleared.
	merged, err := convert.SwarmSpecToGRPC(spec)
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	_, err = cc.UpdateCluster(ctx, &api.UpdateClusterRequest{
		ClusterID:      cl.ID,
		ClusterVersion: &api.Version{Index: version},
		Spec:           &merged,
		Rotation: api.KeyRotation{
			WorkerJoinToken:  flags.RotateWorkerToken,
			ManagerJoinToken: flags.RotateManagerToken,
			ManagerUnlockKey: flags.RotateManagerUnlockKey,
		},
	})
	return grpcErr(err)
}

// GetUnlockKey is GET /swarm/unlockkey.
func (c *Cluster) GetUnlockKey(ctx context.Context) (string, error) {
	if _, err := c.manager(); err != nil {
		return "", err
	}
	c.mu.RLock()
	conn := c.conn
	c.mu.RUnlock()
	if conn == nil {
		return "", errdefs.Unavailable("%s", errNotManager)
	}
	r, err := api.NewCAClient(conn).GetUnlockKey(ctx, &api.GetUnlockKeyRequest{})
	if err != nil {
		return "", grpcErr(err)
	}
	if len(r.UnlockKey) == 0 {
		return "", nil // autolock is off
	}
	return encryption.HumanReadableKey(r.UnlockKey), nil
}

// Unlock is POST /swarm/unlock.
func (c *Cluster) Unlock(ctx context.Context, req types.UnlockRequest) error {
	c.mu.RLock()
	running, locked := c.node != nil, c.locked
	c.mu.RUnlock()
	if running && !locked {
		return errdefs.Unavailable("swarm is not locked")
	}
	if !locked {
		return errdefs.Unavailable("%s", errNoSwarm)
	}
	key, err := encryption.ParseHumanReadableKey(req.UnlockKey)
	if err != nil {
		return errdefs.InvalidParameter("invalid key provided")
	}
	c.mu.Lock()
	if c.node != nil || !c.locked {
		c.mu.Unlock()
		return errdefs.Unavailable("swarm is not locked")
	}
	st := c.st
	if err := c.startNode(ctx, st, node.Config{}, key); err != nil {
		c.mu.Unlock()
		return err
	}
	n := c.node
	c.mu.Unlock()
	deadline := time.Now().Add(readyTimeout)
	for ready := false; !ready && time.Now().Before(deadline); {
		select {
		case <-n.Ready():
			ready = true
		case <-time.After(100 * time.Millisecond):
			c.mu.RLock()
			gone := c.node != n
			c.mu.RUnlock()
			if gone {
				deadline = time.Now()
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.node != n { // the key did not decrypt: locked again
		return errdefs.InvalidParameter("swarm could not be unlocked: invalid key provided")
	}
	c.locked = false
	return nil
}
