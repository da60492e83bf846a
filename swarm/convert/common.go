package convert

import (
	"strings"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// timeFromProto mirrors dockerd, which ignores the conversion error: a nil
// timestamp becomes the Unix epoch, not Go's zero time.
func timeFromProto(ts *gogotypes.Timestamp) time.Time {
	t, _ := gogotypes.TimestampFromProto(ts)
	return t
}

func durationFromProto(d *gogotypes.Duration) time.Duration {
	v, _ := gogotypes.DurationFromProto(d)
	return v
}

func metaFromGRPC(m swarmapi.Meta) types.Meta {
	return types.Meta{
		Version:   types.Version{Index: m.Version.Index},
		CreatedAt: timeFromProto(m.CreatedAt),
		UpdatedAt: timeFromProto(m.UpdatedAt),
	}
}

// annotationsFromGRPC always returns a non-nil Labels map: the Engine API
// prints "Labels": {} rather than null for swarm objects.
func annotationsFromGRPC(a swarmapi.Annotations) types.Annotations {
	out := types.Annotations{Name: a.Name, Labels: a.Labels}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

func annotationsToGRPC(a types.Annotations) swarmapi.Annotations {
	return swarmapi.Annotations{Name: a.Name, Labels: a.Labels}
}

func driverFromGRPC(d *swarmapi.Driver) *types.Driver {
	if d == nil {
		return nil
	}
	return &types.Driver{Name: d.Name, Options: d.Options}
}

func driverToGRPC(d *types.Driver) *swarmapi.Driver {
	if d == nil {
		return nil
	}
	return &swarmapi.Driver{Name: d.Name, Options: d.Options}
}

// GenericResourcesFromGRPC converts named and discrete generic resources
// (node resources, reservations, a task's assigned resources).
func GenericResourcesFromGRPC(in []*swarmapi.GenericResource) []types.GenericResource {
	var out []types.GenericResource
	for _, r := range in {
		var g types.GenericResource
		switch v := r.GetResource().(type) {
		case *swarmapi.GenericResource_NamedResourceSpec:
			g.NamedResourceSpec = &types.NamedGenericResource{Kind: v.NamedResourceSpec.Kind, Value: v.NamedResourceSpec.Value}
		case *swarmapi.GenericResource_DiscreteResourceSpec:
			g.DiscreteResourceSpec = &types.DiscreteGenericResource{Kind: v.DiscreteResourceSpec.Kind, Value: v.DiscreteResourceSpec.Value}
		}
		out = append(out, g)
	}
	return out
}

// GenericResourcesToGRPC is the reverse of GenericResourcesFromGRPC; an
// entry with neither spec set is dropped.
func GenericResourcesToGRPC(in []types.GenericResource) []*swarmapi.GenericResource {
	var out []*swarmapi.GenericResource
	for _, g := range in {
		switch {
		case g.DiscreteResourceSpec != nil:
			out = append(out, &swarmapi.GenericResource{Resource: &swarmapi.GenericResource_DiscreteResourceSpec{
				DiscreteResourceSpec: &swarmapi.DiscreteGenericResource{Kind: g.DiscreteResourceSpec.Kind, Value: g.DiscreteResourceSpec.Value},
			}})
		case g.NamedResourceSpec != nil:
			out = append(out, &swarmapi.GenericResource{Resource: &swarmapi.GenericResource_NamedResourceSpec{
				NamedResourceSpec: &swarmapi.NamedGenericResource{Kind: g.NamedResourceSpec.Kind, Value: g.NamedResourceSpec.Value},
			}})
		}
	}
	return out
}

// lowerEnum renders a swarmkit enum as the Engine API spells it.
func lowerEnum(s interface{ String() string }) string {
	return strings.ToLower(s.String())
}
