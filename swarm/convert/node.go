package convert

import (
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// NodeFromGRPC converts a node object to GET /nodes/{id}'s body.
// Spec.Role is the desired role, as in dockerd.
func NodeFromGRPC(n swarmapi.Node) types.Node {
	node := types.Node{
		ID:   n.ID,
		Meta: metaFromGRPC(n.Meta),
		Spec: types.NodeSpec{
			Annotations:  annotationsFromGRPC(n.Spec.Annotations),
			Role:         types.NodeRole(lowerEnum(n.Spec.DesiredRole)),
			Availability: types.NodeAvailability(lowerEnum(n.Spec.Availability)),
		},
		Status: types.NodeStatus{
			State:   types.NodeState(lowerEnum(n.Status.State)),
			Message: n.Status.Message,
			Addr:    n.Status.Addr,
		},
	}
	if d := n.Description; d != nil {
		node.Description.Hostname = d.Hostname
		if d.Platform != nil {
			node.Description.Platform = types.Platform{Architecture: d.Platform.Architecture, OS: d.Platform.OS}
		}
		if r := d.Resources; r != nil {
			node.Description.Resources = types.Resources{
				NanoCPUs:         r.NanoCPUs,
				MemoryBytes:      r.MemoryBytes,
				GenericResources: GenericResourcesFromGRPC(r.Generic),
			}
		}
		if e := d.Engine; e != nil {
			node.Description.Engine.EngineVersion = e.EngineVersion
			node.Description.Engine.Labels = e.Labels
			for _, p := range e.Plugins {
				node.Description.Engine.Plugins = append(node.Description.Engine.Plugins, types.PluginDescription{Type: p.Type, Name: p.Name})
			}
		}
		if t := d.TLSInfo; t != nil {
			node.Description.TLSInfo = types.TLSInfo{
				TrustRoot:           string(t.TrustRoot),
				CertIssuerSubject:   t.CertIssuerSubject,
				CertIssuerPublicKey: t.CertIssuerPublicKey,
			}
		}
		for _, csi := range d.CSIInfo {
			if csi == nil {
				continue
			}
			info := types.NodeCSIInfo{PluginName: csi.PluginName, NodeID: csi.NodeID, MaxVolumesPerNode: csi.MaxVolumesPerNode}
			if csi.AccessibleTopology != nil {
				info.AccessibleTopology = &types.Topology{Segments: csi.AccessibleTopology.Segments}
			}
			node.Description.CSIInfo = append(node.Description.CSIInfo, info)
		}
	}
	if m := n.ManagerStatus; m != nil {
		node.ManagerStatus = &types.ManagerStatus{
			Leader:       m.Leader,
			Reachability: types.Reachability(lowerEnum(m.Reachability)),
			Addr:         m.Addr,
		}
	}
	return node
}

// NodeSpecToGRPC converts POST /nodes/{id}/update's body. Role and
// Availability are required, as in dockerd (the CLI always sends both).
func NodeSpecToGRPC(s types.NodeSpec) (swarmapi.NodeSpec, error) {
	spec := swarmapi.NodeSpec{Annotations: annotationsToGRPC(s.Annotations)}
	role, ok := swarmapi.NodeRole_value[strings.ToUpper(string(s.Role))]
	if !ok {
		return swarmapi.NodeSpec{}, errdefs.InvalidParameter("invalid Role: %q", s.Role)
	}
	spec.DesiredRole = swarmapi.NodeRole(role)
	avail, ok := swarmapi.NodeSpec_Availability_value[strings.ToUpper(string(s.Availability))]
	if !ok {
		return swarmapi.NodeSpec{}, errdefs.InvalidParameter("invalid Availability: %q", s.Availability)
	}
	spec.Availability = swarmapi.NodeSpec_Availability(avail)
	return spec, nil
}
