package convert

import (
	"fmt"
	"strings"

	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// NodeFromGRPC converts a node.
func NodeFromGRPC(n api.Node) types.Node {
	out := types.Node{ID: n.ID, Meta: meta(n.Meta)}
	out.Spec.Annotations = annotations(n.Spec.Annotations)
	out.Spec.Role = types.NodeRole(strings.ToLower(n.Spec.DesiredRole.String()))
	out.Spec.Availability = types.NodeAvailability(strings.ToLower(n.Spec.Availability.String()))
	if d := n.Description; d != nil {
		out.Description.Hostname = d.Hostname
		if d.Platform != nil {
			out.Description.Platform = types.Platform{Architecture: d.Platform.Architecture, OS: d.Platform.OS}
		}
		if d.Resources != nil {
			out.Description.Resources = types.Resources{NanoCPUs: d.Resources.NanoCPUs, MemoryBytes: d.Resources.MemoryBytes}
		}
		if e := d.Engine; e != nil {
			out.Description.Engine = types.EngineDescription{EngineVersion: e.EngineVersion, Labels: e.Labels}
			for _, p := range e.Plugins {
				out.Description.Engine.Plugins = append(out.Description.Engine.Plugins, types.PluginDescription{Type: p.Type, Name: p.Name})
			}
		}
		if t := d.TLSInfo; t != nil {
			out.Description.TLSInfo = types.TLSInfo{TrustRoot: string(t.TrustRoot), CertIssuerSubject: t.CertIssuerSubject, CertIssuerPublicKey: t.CertIssuerPublicKey}
		}
	}
	out.Status = types.NodeStatus{State: types.NodeState(strings.ToLower(n.Status.State.String())), Message: n.Status.Message, Addr: n.Status.Addr}
	if m := n.ManagerStatus; m != nil {
		out.ManagerStatus = &types.ManagerStatus{Leader: m.Leader, Reachability: types.Reachability(strings.ToLower(m.Reachability.String())), Addr: m.Addr}
	}
	return out
}

// NodeSpecToGRPC validates and converts a node spec.
func NodeSpecToGRPC(s types.NodeSpec) (api.NodeSpec, error) {
	out := api.NodeSpec{Annotations: annotationsToGRPC(s.Annotations)}
	switch s.Role {
	case types.NodeRoleManager:
		out.DesiredRole = api.NodeRoleManager
	case types.NodeRoleWorker, "":
		out.DesiredRole = api.NodeRoleWorker
	default:
		return out, fmt.Errorf("invalid Role: %q", s.Role)
	}
	switch s.Availability {
	case types.NodeAvailabilityActive, "":
		out.Availability = api.NodeAvailabilityActive
	case types.NodeAvailabilityPause:
		out.Availability = api.NodeAvailabilityPause
	case types.NodeAvailabilityDrain:
		out.Availability = api.NodeAvailabilityDrain
	default:
		return out, fmt.Errorf("invalid Availability: %q", s.Availability)
	}
	return out, nil
}
