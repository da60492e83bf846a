package convert

import (
	"encoding/json"
	"reflect"
	"testing"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// FuzzServiceSpec feeds JSON service specs (POST /services/create bodies)
// through the conversion: it must not panic, and a spec it accepts must
// read back into one that converts to the same swarmkit spec (inspect then
// update changes nothing).
func FuzzServiceSpec(f *testing.F) {
	rich, _ := json.Marshal(richSpec())
	for _, seed := range []string{
		string(rich),
		`{}`,
		`{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"nginx"}},"Mode":{"Replicated":{"Replicas":3}}}`,
		`{"TaskTemplate":{"ContainerSpec":{"Image":"a","Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"Options":[["exec"]]}}]}},"Mode":{"Global":{}}}`,
		`{"TaskTemplate":{"ContainerSpec":{"Image":"a"},"RestartPolicy":{"Condition":"x"}}}`,
		`{"TaskTemplate":{"Runtime":"plugin","PluginSpec":{"Name":"p"}}}`,
		`{"TaskTemplate":{"ContainerSpec":{"Image":"a","Configs":[{"ConfigName":"c","Runtime":{}}]}},"Mode":{"ReplicatedJob":{}}}`,
		`{"TaskTemplate":{"ContainerSpec":{"Image":"a","DNSConfig":{"Nameservers":["1.1.1.1"]}}},"EndpointSpec":{"Mode":"dnsrr","Ports":[{"Protocol":"udp","TargetPort":53}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in types.ServiceSpec
		if json.Unmarshal(body, &in) != nil {
			return
		}
		if refusedBySwarmkit(in) {
			return
		}
		g, err := ServiceSpecToGRPC(in)
		if err != nil {
			return
		}
		read, err := ServiceFromGRPC(swarmapi.Service{Spec: g})
		if err != nil {
			t.Fatalf("accepted spec does not read back: %v", err)
		}
		g2, err := ServiceSpecToGRPC(read.Spec)
		if err != nil {
			t.Fatalf("read-back spec refused: %v", err)
		}
		if !reflect.DeepEqual(normalise(g), normalise(g2)) {
			a, _ := json.Marshal(g)
			b, _ := json.Marshal(g2)
			t.Fatalf("inspect+update changes the spec\n%s\n%s", a, b)
		}
	})
}

// refusedBySwarmkit spots specs the conversion lets through but swarmkit's
// control API refuses ("malformed secret reference, no target provided"),
// so they never come back from the store to be read.
func refusedBySwarmkit(s types.ServiceSpec) bool {
	if c := s.TaskTemplate.ContainerSpec; c != nil {
		for _, r := range c.Secrets {
			if r != nil && r.File == nil {
				return true
			}
		}
	}
	return false
}

// normalise makes empty and nil collections equal, which the Engine API's
// omitempty JSON cannot tell apart either.
func normalise(s swarmapi.ServiceSpec) map[string]any {
	b, _ := json.Marshal(s)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return prune(m).(map[string]any)
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = prune(e); e != nil {
				out[k] = e
			}
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	}
	return v
}
