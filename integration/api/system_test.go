package api

import (
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// TestVersionComponents: the Engine component carries the details dockerd
// fills. Docker 20.10.24: ApiVersion, Arch, BuildTime, Experimental
// ("false"), GitCommit, GoVersion, KernelVersion, MinAPIVersion, Os; the
// top level has GitCommit and BuildTime too.
func TestVersionComponents(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		v, err := c.ServerVersion(ctxT(t), client.ServerVersionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Components) == 0 || v.Components[0].Name != "Engine" {
			t.Fatalf("components %+v", v.Components)
		}
		d := v.Components[0].Details
		for _, k := range []string{"ApiVersion", "Arch", "BuildTime", "Experimental", "GitCommit", "GoVersion", "KernelVersion", "MinAPIVersion", "Os"} {
			if _, ok := d[k]; !ok {
				t.Errorf("Details has no %s: %v", k, d)
			}
		}
		if d["Experimental"] != "false" || d["ApiVersion"] != v.APIVersion || d["MinAPIVersion"] != v.MinAPIVersion || d["Os"] != v.Os || d["Arch"] != v.Arch {
			t.Errorf("Details disagree with the top level: %v vs %+v", d, v)
		}
		if v.Components[0].Version != v.Version {
			t.Errorf("Engine version %q, daemon %q", v.Components[0].Version, v.Version)
		}
	})
}

// TestPredefinedNetworks: bridge, host, none (and "default") cannot be
// created or removed: 403 with dockerd's wording (20.10.24, note the
// trailing space of the first), nothing created.
func TestPredefinedNetworks(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		ctx := ctxT(t)
		before, err := c.NetworkList(ctx, client.NetworkListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"bridge", "host", "none", "default"} {
			for _, driver := range []string{"", "bridge"} {
				_, err := c.NetworkCreate(ctx, n, client.NetworkCreateOptions{Driver: driver})
				// The SDK trims the message; the raw body keeps the space.
				if want := "operation is not permitted on predefined " + n + " network"; !cerrdefs.IsPermissionDenied(err) || !strings.HasSuffix(err.Error(), want) {
					t.Errorf("create %s (driver %q): %v, want 403 %q", n, driver, err, want)
				}
			}
			st, b := e.call(t, "POST", "", "/networks/create", `{"Name":"`+n+`"}`)
			if want := "operation is not permitted on predefined " + n + " network "; st != 403 || message(b) != want {
				t.Errorf("raw create %s: %d %s, want 403 %q", n, st, b, want)
			}
			if n == "default" {
				continue
			}
			_, err := c.NetworkRemove(ctx, n, client.NetworkRemoveOptions{})
			if want := n + " is a pre-defined network and cannot be removed"; !cerrdefs.IsPermissionDenied(err) || !strings.HasSuffix(err.Error(), want) {
				t.Errorf("remove %s: %v, want 403 %q", n, err, want)
			}
		}
		after, err := c.NetworkList(ctx, client.NetworkListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Items) != len(before.Items) {
			t.Errorf("networks changed: %d before, %d after", len(before.Items), len(after.Items))
		}
	})
}
