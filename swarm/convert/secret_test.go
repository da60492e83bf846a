package convert

import (
	"testing"
	"time"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func TestSecretsNeverShowData(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	spec := types.SecretSpec{
		Annotations: types.Annotations{Name: "db_pass", Labels: map[string]string{"a": "b"}},
		Data:        []byte("s3cr3t"),
		Driver:      &types.Driver{Name: "vault", Options: map[string]string{"path": "x"}},
		Templating:  &types.Driver{Name: "golang"},
	}
	g := SecretSpecToGRPC(spec)
	if string(g.Data) != "s3cr3t" || g.Driver.Name != "vault" || g.Templating.Name != "golang" || g.Annotations.Name != "db_pass" {
		t.Fatalf("to grpc: %+v", g)
	}
	got := SecretFromGRPC(&swarmapi.Secret{ID: "sid", Meta: swarmapi.Meta{Version: swarmapi.Version{Index: 4}, CreatedAt: ts(t, at), UpdatedAt: ts(t, at)}, Spec: g})
	want := spec
	want.Data = nil
	assertEqual(t, "secret", got, types.Secret{ID: "sid", Meta: types.Meta{Version: types.Version{Index: 4}, CreatedAt: at, UpdatedAt: at}, Spec: want})
	if SecretFromGRPC(nil).ID != "" {
		t.Fatal("nil secret")
	}
}

func TestConfigsShowData(t *testing.T) {
	spec := types.ConfigSpec{
		Annotations: types.Annotations{Name: "nginx.conf", Labels: map[string]string{}},
		Data:        []byte("server {}"),
		Templating:  &types.Driver{Name: "golang", Options: map[string]string{"k": "v"}},
	}
	got := ConfigFromGRPC(&swarmapi.Config{ID: "cid", Spec: ConfigSpecToGRPC(spec)})
	assertEqual(t, "config spec", got.Spec, spec)
	if got.ID != "cid" || ConfigFromGRPC(nil).ID != "" {
		t.Fatalf("config: %+v", got)
	}
}
