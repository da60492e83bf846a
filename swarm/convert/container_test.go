package convert

import (
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func TestPrivilegesRoundTrip(t *testing.T) {
	cases := []types.Privileges{
		{Seccomp: &types.SeccompOpts{Mode: types.SeccompModeDefault}, AppArmor: &types.AppArmorOpts{Mode: types.AppArmorModeDefault}},
		{Seccomp: &types.SeccompOpts{Mode: types.SeccompModeUnconfined}},
		{CredentialSpec: &types.CredentialSpec{Config: "0bt9dmxjvjiqermk6xrop3ekq"}},
		{CredentialSpec: &types.CredentialSpec{File: "spec.json"}},
		{SELinuxContext: &types.SELinuxContext{Disable: true}},
	}
	for _, p := range cases {
		g, err := privilegesToGRPC(&p)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "privileges", privilegesFromGRPC(g), &p)
	}
	// dockerd's leniency: an unknown mode is the default one.
	g, _ := privilegesToGRPC(&types.Privileges{Seccomp: &types.SeccompOpts{Mode: "strict"}, AppArmor: &types.AppArmorOpts{Mode: "odd"}})
	if g.Seccomp.Mode != swarmapi.Privileges_SeccompOpts_DEFAULT || g.Apparmor.Mode != swarmapi.Privileges_AppArmorOpts_DEFAULT {
		t.Fatalf("modes: %+v", g)
	}
}

func TestIsolation(t *testing.T) {
	for in, want := range map[container.Isolation]container.Isolation{
		"": container.IsolationDefault, "default": container.IsolationDefault,
		"process": container.IsolationProcess, "HyperV": container.IsolationHyperV,
	} {
		if got := isolationFromGRPC(isolationToGRPC(in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestMountFromGRPC(t *testing.T) {
	// What the executor gets for a plain bind and a volume: the Engine
	// API's lower-case names, no options invented.
	got := MountFromGRPC(swarmapi.Mount{Type: swarmapi.MountTypeVolume, Source: "v", Target: "/v"})
	assertEqual(t, "volume", got, mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "/v"})
	got = MountFromGRPC(swarmapi.Mount{Type: swarmapi.MountTypeBind, Source: "/a", Target: "/b",
		BindOptions: &swarmapi.Mount_BindOptions{Propagation: swarmapi.MountPropagationShared, ReadOnlyForceRecursive: true}})
	assertEqual(t, "bind", got, mount.Mount{Type: mount.TypeBind, Source: "/a", Target: "/b",
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationShared, ReadOnlyForceRecursive: true}})
	if got := MountFromGRPC(swarmapi.Mount{Type: swarmapi.MountTypeCluster}); got.Type != mount.TypeCluster {
		t.Fatalf("cluster: %q", got.Type)
	}
}
