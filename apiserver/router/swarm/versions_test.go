package swarm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/moby/moby/api/types/swarm"
)

// fullSpec sets every field an API-version adjustment touches, plus some
// that none does, and the legacy top-level Networks.
const fullSpec = `{
  "Name": "web",
  "Networks": [{"Target": "legacy-net", "Aliases": ["a"]}],
  "Mode": {"ReplicatedJob": {"MaxConcurrent": 2}},
  "TaskTemplate": {
    "ContainerSpec": {
      "Image": "nginx",
      "Sysctls": {"net.ipv4.ip_forward": "1"},
      "CapabilityAdd": ["CAP_NET_ADMIN"],
      "CapabilityDrop": ["CAP_CHOWN"],
      "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
      "OomScoreAdj": 500,
      "Privileges": {
        "CredentialSpec": {"Config": "cred-config", "File": "spec.json"},
        "Seccomp": {"Mode": "unconfined"},
        "AppArmor": {"Mode": "disabled"},
        "NoNewPrivileges": true
      },
      "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000, "StartInterval": 2000000000},
      "Configs": [{"ConfigID": "c1", "ConfigName": "c", "Runtime": {}}],
      "Mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1024, "Options": [["exec"]]}}]
    },
    "Resources": {"Limits": {"NanoCPUs": 1000, "Pids": 100}, "SwapBytes": 1048576, "MemorySwappiness": 10},
    "Placement": {"Constraints": ["node.role==manager"], "MaxReplicas": 3}
  }
}`

// fields maps what the adjustments touch to the API version that
// introduced it ("" for fields kept at every version).
var fields = []struct {
	name  string
	since string
	has   func(s swarm.ServiceSpec) bool
}{
	{"Image", "", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Image == "nginx" }},
	{"Constraints", "", func(s swarm.ServiceSpec) bool { return len(s.TaskTemplate.Placement.Constraints) == 1 }},
	{"NanoCPUs", "", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.Resources.Limits.NanoCPUs == 1000 }},
	{"CredentialSpec.File", "", func(s swarm.ServiceSpec) bool {
		return s.TaskTemplate.ContainerSpec.Privileges.CredentialSpec.File == "spec.json"
	}},
	{"Healthcheck.Interval", "", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Healthcheck.Interval > 0 }},
	{"Tmpfs.SizeBytes", "", func(s swarm.ServiceSpec) bool {
		return s.TaskTemplate.ContainerSpec.Mounts[0].TmpfsOptions.SizeBytes == 1024
	}},
	{"Sysctls", "1.40", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Sysctls != nil }},
	{"CredentialSpec.Config", "1.40", func(s swarm.ServiceSpec) bool {
		return s.TaskTemplate.ContainerSpec.Privileges.CredentialSpec.Config != ""
	}},
	{"Configs.Runtime", "1.40", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Configs[0].Runtime != nil }},
	{"MaxReplicas", "1.40", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.Placement.MaxReplicas == 3 }},
	{"CapabilityAdd", "1.41", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.CapabilityAdd != nil }},
	{"CapabilityDrop", "1.41", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.CapabilityDrop != nil }},
	{"Ulimits", "1.41", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Ulimits != nil }},
	{"Limits.Pids", "1.41", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.Resources.Limits.Pids == 100 }},
	{"ReplicatedJob", "1.41", func(s swarm.ServiceSpec) bool { return s.Mode.ReplicatedJob != nil }},
	{"Seccomp", "1.44", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Privileges.Seccomp != nil }},
	{"AppArmor", "1.44", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Privileges.AppArmor != nil }},
	{"NoNewPrivileges", "1.44", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges }},
	{"StartInterval", "1.44", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.Healthcheck.StartInterval > 0 }},
	{"Tmpfs.Options", "1.46", func(s swarm.ServiceSpec) bool {
		return s.TaskTemplate.ContainerSpec.Mounts[0].TmpfsOptions.Options != nil
	}},
	{"OomScoreAdj", "1.46", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.ContainerSpec.OomScoreAdj == 500 }},
	{"SwapBytes", "1.52", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.Resources.SwapBytes != nil }},
	{"MemorySwappiness", "1.52", func(s swarm.ServiceSpec) bool { return s.TaskTemplate.Resources.MemorySwappiness != nil }},
}

// TestSpecForVersion sends the same spec to create and update at each
// API version and checks which fields reach the backend.
func TestSpecForVersion(t *testing.T) {
	for _, v := range []string{"1.24", "1.25", "1.39", "1.40", "1.41", "1.43", "1.44", "1.45", "1.46", "1.51", "1.52", "1.56"} {
		for _, route := range []string{"/services/create", "/services/web/update?version=5"} {
			t.Run(v+route, func(t *testing.T) {
				f := newFake()
				if strings.Contains(route, "update") {
					seed(f) // the service to update
				}
				ts := newTestServer(t, f)
				if r := send(t, ts, "POST", "/v"+v+route, nil, fullSpec); r.code >= 300 {
					t.Fatalf("%d %s", r.code, r.body)
				}
				for _, fl := range fields {
					want := fl.since == "" || httputils.CompareVersions(v, fl.since) >= 0
					if got := fl.has(f.lastSpec); got != want {
						t.Errorf("%s present=%t, want %t", fl.name, got, want)
					}
				}
				// The deprecated top-level Networks stand in for
				// TaskTemplate.Networks before 1.44 only.
				nets := f.lastSpec.TaskTemplate.Networks
				if httputils.CompareVersions(v, "1.44") < 0 {
					if len(nets) != 1 || nets[0].Target != "legacy-net" || nets[0].Aliases[0] != "a" {
						t.Errorf("legacy Networks not moved: %+v", nets)
					}
				} else if len(nets) != 0 {
					t.Errorf("legacy Networks honoured at %s: %+v", v, nets)
				}
			})
		}
	}
}

// TestLegacyNetworksPrecedence: a spec with both network lists keeps
// TaskTemplate's.
func TestLegacyNetworksPrecedence(t *testing.T) {
	f := newFake()
	ts := newTestServer(t, f)
	body := `{"Name":"x","Networks":[{"Target":"old"}],"TaskTemplate":{"Networks":[{"Target":"new"}]}}`
	if r := send(t, ts, "POST", "/v1.30/services/create", nil, body); r.code != 201 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if n := f.lastSpec.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "new" {
		t.Fatalf("networks %+v", n)
	}
}

// TestLegacyNetworksOut checks that API < 1.25 clients read the networks
// at Spec.Networks (and PreviousSpec.Networks) again.
func TestLegacyNetworksOut(t *testing.T) {
	f := newFake()
	prev := swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "web"}, TaskTemplate: swarm.TaskSpec{Networks: []swarm.NetworkAttachmentConfig{{Target: "n0"}}}}
	f.services["svc-web"] = &swarm.Service{ID: "svc-web", PreviousSpec: &prev,
		Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "web"}, TaskTemplate: swarm.TaskSpec{Networks: []swarm.NetworkAttachmentConfig{{Target: "n1", Aliases: []string{"w"}}}}}}
	f.services["svc-bare"] = &swarm.Service{ID: "svc-bare", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "bare"}}}
	ts := newTestServer(t, f)
	type spec struct {
		Name         string
		Networks     []swarm.NetworkAttachmentConfig
		TaskTemplate struct {
			Networks []swarm.NetworkAttachmentConfig
		}
	}
	type svc struct {
		ID           string
		Spec         spec
		PreviousSpec *spec
	}
	for _, tc := range []struct {
		version string
		legacy  bool
	}{{"1.24", true}, {"1.25", false}, {"1.56", false}} {
		var list []svc
		r := send(t, ts, "GET", "/v"+tc.version+"/services", nil, "")
		if err := json.Unmarshal([]byte(r.body), &list); err != nil || len(list) != 2 {
			t.Fatalf("%s: %v %s", tc.version, err, r.body)
		}
		var one svc
		r = send(t, ts, "GET", "/v"+tc.version+"/services/web", nil, "")
		if err := json.Unmarshal([]byte(r.body), &one); err != nil {
			t.Fatalf("%s: %v %s", tc.version, err, r.body)
		}
		for _, s := range []svc{list[1], one} {
			if s.ID != "svc-web" || s.Spec.Name != "web" || len(s.Spec.TaskTemplate.Networks) != 1 {
				t.Fatalf("%s: the rest of the service was lost: %+v", tc.version, s)
			}
			if got := len(s.Spec.Networks) == 1 && s.Spec.Networks[0].Target == "n1" && s.Spec.Networks[0].Aliases[0] == "w"; got != tc.legacy {
				t.Errorf("%s: Spec.Networks %+v, want legacy=%t", tc.version, s.Spec.Networks, tc.legacy)
			}
			if got := s.PreviousSpec != nil && len(s.PreviousSpec.Networks) == 1 && s.PreviousSpec.Networks[0].Target == "n0"; got != tc.legacy {
				t.Errorf("%s: PreviousSpec.Networks %+v, want legacy=%t", tc.version, s.PreviousSpec, tc.legacy)
			}
		}
		// Without networks nothing is added, as dockerd adds nothing.
		if bare := send(t, ts, "GET", "/v"+tc.version+"/services/bare", nil, "").body; strings.Contains(bare, `"Networks"`) || strings.Contains(bare, "PreviousSpec") {
			t.Errorf("%s: bare service %s", tc.version, bare)
		}
	}
}
