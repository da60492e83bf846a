package swarm

import (
	"context"

	swarmrouter "github.com/berth-project/berth/apiserver/router/swarm"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/swarm/convert"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// lookup resolves an ID, a name or an ID prefix the way dockerd does:
// exact ID, then exact name, then a unique prefix.
func lookup[T any](ctx context.Context, kind, ref string,
	byID func(string) (T, error),
	list func(names, prefixes []string) ([]T, error),
	idOf func(T) string,
) (T, error) {
	var zero T
	if v, err := byID(ref); err == nil {
		return v, nil
	}
	byName, err := list([]string{ref}, nil)
	if err != nil {
		return zero, err
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	if len(byName) > 1 {
		return zero, errdefs.InvalidParameter("%s %s is ambiguous (%d matches found)", kind, ref, len(byName))
	}
	byPrefix, err := list(nil, []string{ref})
	if err != nil {
		return zero, err
	}
	switch len(byPrefix) {
	case 0:
		return zero, errdefs.NotFound("%s %s not found", kind, ref)
	case 1:
		return byPrefix[0], nil
	}
	return zero, errdefs.InvalidParameter("%s %s is ambiguous (%d matches found)", kind, ref, len(byPrefix))
}

func (c *Cluster) getNode(ctx context.Context, cc api.ControlClient, ref string) (*api.Node, error) {
	return lookup(ctx, "node", ref,
		func(id string) (*api.Node, error) {
			r, err := cc.GetNode(ctx, &api.GetNodeRequest{NodeID: id})
			if err != nil {
				return nil, err
			}
			return r.Node, nil
		},
		func(names, prefixes []string) ([]*api.Node, error) {
			r, err := cc.ListNodes(ctx, &api.ListNodesRequest{Filters: &api.ListNodesRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			// Names filter matches prefixes of hostnames too: keep exact ones.
			if names != nil {
				var exact []*api.Node
				for _, n := range r.Nodes {
					if n.Spec.Annotations.Name == names[0] || (n.Description != nil && n.Description.Hostname == names[0]) {
						exact = append(exact, n)
					}
				}
				return exact, nil
			}
			return r.Nodes, nil
		},
		func(n *api.Node) string { return n.ID })
}

// GetNodes is GET /nodes.
func (c *Cluster) GetNodes(ctx context.Context, f filters.Args) ([]types.Node, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	gf, err := convert.NodeFilters(f)
	if err != nil {
		return nil, err
	}
	r, err := cc.ListNodes(ctx, &api.ListNodesRequest{Filters: gf})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := []types.Node{}
	for _, n := range r.Nodes {
		out = append(out, convert.NodeFromGRPC(*n))
	}
	return out, nil
}

// GetNode is GET /nodes/{id}.
func (c *Cluster) GetNode(ctx context.Context, ref string) (types.Node, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Node{}, err
	}
	n, err := c.getNode(ctx, cc, ref)
	if err != nil {
		return types.Node{}, err
	}
	return convert.NodeFromGRPC(*n), nil
}

// UpdateNode is POST /nodes/{id}/update.
func (c *Cluster) UpdateNode(ctx context.Context, ref string, version uint64, spec types.NodeSpec) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	gs, err := convert.NodeSpecToGRPC(spec)
	if err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	n, err := c.getNode(ctx, cc, ref)
	if err != nil {
		return err
	}
	_, err = cc.UpdateNode(ctx, &api.UpdateNodeRequest{NodeID: n.ID, NodeVersion: &api.Version{Index: version}, Spec: &gs})
	return grpcErr(err)
}

// RemoveNode is DELETE /nodes/{id}.
func (c *Cluster) RemoveNode(ctx context.Context, ref string, force bool) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	n, err := c.getNode(ctx, cc, ref)
	if err != nil {
		return err
	}
	_, err = cc.RemoveNode(ctx, &api.RemoveNodeRequest{NodeID: n.ID, Force: force})
	return grpcErr(err)
}

func (c *Cluster) getService(ctx context.Context, cc api.ControlClient, ref string) (*api.Service, error) {
	return lookup(ctx, "service", ref,
		func(id string) (*api.Service, error) {
			r, err := cc.GetService(ctx, &api.GetServiceRequest{ServiceID: id})
			if err != nil {
				return nil, err
			}
			return r.Service, nil
		},
		func(names, prefixes []string) ([]*api.Service, error) {
			r, err := cc.ListServices(ctx, &api.ListServicesRequest{Filters: &api.ListServicesRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			return r.Services, nil
		},
		func(s *api.Service) string { return s.ID })
}

// GetServices is GET /services.
func (c *Cluster) GetServices(ctx context.Context, f filters.Args, status bool) ([]types.Service, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	gf, err := convert.ServiceFilters(f)
	if err != nil {
		return nil, err
	}
	r, err := cc.ListServices(ctx, &api.ListServicesRequest{Filters: gf})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := []types.Service{}
	for _, s := range r.Services {
		svc, err := convert.ServiceFromGRPC(*s)
		if err != nil {
			return nil, err
		}
		if !convert.MatchService(f, svc) {
			continue
		}
		out = append(out, svc)
	}
	if status && len(out) > 0 {
		if err := c.serviceStatus(ctx, cc, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// serviceStatus fills ServiceStatus: running and desired task counts.
func (c *Cluster) serviceStatus(ctx context.Context, cc api.ControlClient, svcs []types.Service) error {
	ids := make([]string, len(svcs))
	for i, s := range svcs {
		ids[i] = s.ID
	}
	r, err := cc.ListTasks(ctx, &api.ListTasksRequest{Filters: &api.ListTasksRequest_Filters{ServiceIDs: ids}})
	if err != nil {
		return grpcErr(err)
	}
	nodes, _ := cc.ListNodes(ctx, &api.ListNodesRequest{})
	up := map[string]bool{}
	if nodes != nil {
		for _, n := range nodes.Nodes {
			up[n.ID] = n.Status.State == api.NodeStatus_READY
		}
	}
	running := map[string]uint64{}
	desired := map[string]uint64{}
	completed := map[string]uint64{}
	for _, t := range r.Tasks {
		if t.DesiredState == api.TaskStateRunning || t.DesiredState == api.TaskStateCompleted {
			desired[t.ServiceID]++
		}
		if t.Status.State == api.TaskStateRunning && up[t.NodeID] {
			running[t.ServiceID]++
		}
		if t.Status.State == api.TaskStateCompleted {
			completed[t.ServiceID]++
		}
	}
	for i := range svcs {
		s := &svcs[i]
		st := &types.ServiceStatus{RunningTasks: running[s.ID], DesiredTasks: desired[s.ID], CompletedTasks: completed[s.ID]}
		if s.Spec.Mode.Replicated != nil && s.Spec.Mode.Replicated.Replicas != nil {
			st.DesiredTasks = *s.Spec.Mode.Replicated.Replicas
		}
		s.ServiceStatus = st
	}
	return nil
}

// GetService is GET /services/{id}.
func (c *Cluster) GetService(ctx context.Context, ref string, insertDefaults bool) (types.Service, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Service{}, err
	}
	s, err := c.getService(ctx, cc, ref)
	if err != nil {
		return types.Service{}, err
	}
	return convert.ServiceFromGRPC(*s)
}

// CreateService is POST /services/create.
func (c *Cluster) CreateService(ctx context.Context, spec types.ServiceSpec, encodedAuth string) (*types.ServiceCreateResponse, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	gs, err := convert.ServiceSpecToGRPC(spec)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	if err := c.resolveNetworks(ctx, cc, &gs); err != nil {
		return nil, err
	}
	if encodedAuth != "" {
		if ctr := gs.Task.GetContainer(); ctr != nil {
			ctr.PullOptions = &api.ContainerSpec_PullOptions{RegistryAuth: encodedAuth}
		}
	}
	r, err := cc.CreateService(ctx, &api.CreateServiceRequest{Spec: &gs})
	if err != nil {
		return nil, grpcErr(err)
	}
	return &types.ServiceCreateResponse{ID: r.Service.ID}, nil
}

// UpdateService is POST /services/{id}/update.
func (c *Cluster) UpdateService(ctx context.Context, ref string, version uint64, spec types.ServiceSpec, opts swarmrouter.ServiceUpdateOptions) (*types.ServiceUpdateResponse, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	cur, err := c.getService(ctx, cc, ref)
	if err != nil {
		return nil, err
	}
	gs, err := convert.ServiceSpecToGRPC(spec)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	if err := c.resolveNetworks(ctx, cc, &gs); err != nil {
		return nil, err
	}
	if ctr := gs.Task.GetContainer(); ctr != nil {
		auth := opts.EncodedRegistryAuth
		if auth == "" && opts.RegistryAuthFrom == "previous-spec" && cur.PreviousSpec != nil {
			if pc := cur.PreviousSpec.Task.GetContainer(); pc != nil && pc.PullOptions != nil {
				auth = pc.PullOptions.RegistryAuth
			}
		} else if auth == "" {
			if pc := cur.Spec.Task.GetContainer(); pc != nil && pc.PullOptions != nil {
				auth = pc.PullOptions.RegistryAuth
			}
		}
		if auth != "" {
			ctr.PullOptions = &api.ContainerSpec_PullOptions{RegistryAuth: auth}
		}
	}
	req := &api.UpdateServiceRequest{ServiceID: cur.ID, ServiceVersion: &api.Version{Index: version}, Spec: &gs}
	if opts.Rollback == "previous" {
		req.Rollback = api.UpdateServiceRequest_PREVIOUS
	}
	if _, err := cc.UpdateService(ctx, req); err != nil {
		return nil, grpcErr(err)
	}
	return &types.ServiceUpdateResponse{}, nil
}

// RemoveService is DELETE /services/{id}.
func (c *Cluster) RemoveService(ctx context.Context, ref string) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	s, err := c.getService(ctx, cc, ref)
	if err != nil {
		return err
	}
	_, err = cc.RemoveService(ctx, &api.RemoveServiceRequest{ServiceID: s.ID})
	return grpcErr(err)
}

// GetTasks is GET /tasks.
func (c *Cluster) GetTasks(ctx context.Context, f filters.Args) ([]types.Task, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	// service and node filters take names as well as IDs.
	nf := filters.NewArgs()
	for _, key := range f.Keys() {
		for _, v := range f.Get(key) {
			switch {
			case key == "service":
				s, err := c.getService(ctx, cc, v)
				if err != nil {
					return nil, err
				}
				v = s.ID
			case key == "node" && v == "self":
				c.mu.RLock()
				if c.node != nil {
					v = c.node.NodeID()
				}
				c.mu.RUnlock()
			case key == "node":
				n, err := c.getNode(ctx, cc, v)
				if err != nil {
					return nil, err
				}
				v = n.ID
			}
			nf.Add(key, v)
		}
	}
	f = nf
	gf, err := convert.TaskFilters(f)
	if err != nil {
		return nil, err
	}
	r, err := cc.ListTasks(ctx, &api.ListTasksRequest{Filters: gf})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := []types.Task{}
	for _, t := range r.Tasks {
		tt, err := convert.TaskFromGRPC(*t)
		if err != nil {
			return nil, err
		}
		if !convert.MatchTask(f, tt) {
			continue
		}
		out = append(out, tt)
	}
	return out, nil
}

// GetTask is GET /tasks/{id}.
func (c *Cluster) GetTask(ctx context.Context, id string) (types.Task, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Task{}, err
	}
	t, err := lookup(ctx, "task", id,
		func(id string) (*api.Task, error) {
			r, err := cc.GetTask(ctx, &api.GetTaskRequest{TaskID: id})
			if err != nil {
				return nil, err
			}
			return r.Task, nil
		},
		func(names, prefixes []string) ([]*api.Task, error) {
			r, err := cc.ListTasks(ctx, &api.ListTasksRequest{Filters: &api.ListTasksRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			return r.Tasks, nil
		},
		func(t *api.Task) string { return t.ID })
	if err != nil {
		return types.Task{}, err
	}
	return convert.TaskFromGRPC(*t)
}
