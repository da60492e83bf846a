package lifecycle

import (
	"reflect"
	"testing"

	"github.com/berth-project/berth/image"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testImage(cfg ocispec.ImageConfig, hc *dockerspec.HealthcheckConfig) *image.Image {
	return &image.Image{Config: dockerspec.DockerOCIImage{Config: dockerspec.DockerOCIImageConfig{ImageConfig: cfg, DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{Healthcheck: hc}}}}
}

func TestMergeImageConfig(t *testing.T) {
	img := testImage(ocispec.ImageConfig{
		Entrypoint:   []string{"/entry"},
		Cmd:          []string{"default", "args"},
		Env:          []string{"PATH=/bin", "A=image"},
		WorkingDir:   "/srv",
		User:         "www-data",
		StopSignal:   "SIGQUIT",
		ExposedPorts: map[string]struct{}{"80/tcp": {}},
		Labels:       map[string]string{"from": "image", "both": "image"},
		Volumes:      map[string]struct{}{"/data": {}},
	}, &dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}, Retries: 2})
	bare := testImage(ocispec.ImageConfig{Cmd: []string{"sh"}}, nil)
	p443 := network.MustParsePort("443/tcp")
	p80 := network.MustParsePort("80/tcp")

	tests := []struct {
		name  string
		user  containertypes.Config
		img   *image.Image
		check func(t *testing.T, got *containertypes.Config)
	}{
		{"image defaults", containertypes.Config{}, img, func(t *testing.T, got *containertypes.Config) {
			if !reflect.DeepEqual(got.Entrypoint, []string{"/entry"}) || !reflect.DeepEqual(got.Cmd, []string{"default", "args"}) {
				t.Errorf("entrypoint/cmd %v %v", got.Entrypoint, got.Cmd)
			}
			if got.WorkingDir != "/srv" || got.User != "www-data" || got.StopSignal != "SIGQUIT" {
				t.Errorf("workdir/user/stopsignal %q %q %q", got.WorkingDir, got.User, got.StopSignal)
			}
			if got.Healthcheck == nil || got.Healthcheck.Retries != 2 {
				t.Errorf("healthcheck %+v", got.Healthcheck)
			}
			if _, ok := got.Volumes["/data"]; !ok {
				t.Errorf("volumes %v", got.Volumes)
			}
		}},
		{"user cmd keeps image entrypoint", containertypes.Config{Cmd: []string{"mine"}}, img, func(t *testing.T, got *containertypes.Config) {
			if !reflect.DeepEqual(got.Entrypoint, []string{"/entry"}) || !reflect.DeepEqual(got.Cmd, []string{"mine"}) {
				t.Errorf("entrypoint/cmd %v %v", got.Entrypoint, got.Cmd)
			}
		}},
		{"user entrypoint drops image cmd", containertypes.Config{Entrypoint: []string{"/other"}}, img, func(t *testing.T, got *containertypes.Config) {
			if !reflect.DeepEqual(got.Entrypoint, []string{"/other"}) || len(got.Cmd) != 0 {
				t.Errorf("entrypoint/cmd %v %v", got.Entrypoint, got.Cmd)
			}
		}},
		{"env merged by key", containertypes.Config{Env: []string{"A=user", "B=new"}}, img, func(t *testing.T, got *containertypes.Config) {
			if !reflect.DeepEqual(got.Env, []string{"PATH=/bin", "A=user", "B=new"}) {
				t.Errorf("env %v", got.Env)
			}
		}},
		{"user fields win", containertypes.Config{WorkingDir: "/w", User: "1:2", StopSignal: "SIGINT"}, img, func(t *testing.T, got *containertypes.Config) {
			if got.WorkingDir != "/w" || got.User != "1:2" || got.StopSignal != "SIGINT" {
				t.Errorf("workdir/user/stopsignal %q %q %q", got.WorkingDir, got.User, got.StopSignal)
			}
		}},
		{"ports and labels are unions", containertypes.Config{ExposedPorts: network.PortSet{p443: {}}, Labels: map[string]string{"both": "user", "mine": "1"}}, img, func(t *testing.T, got *containertypes.Config) {
			if len(got.ExposedPorts) != 2 {
				t.Errorf("ports %v", got.ExposedPorts)
			}
			if _, ok := got.ExposedPorts[p80]; !ok {
				t.Errorf("image port missing: %v", got.ExposedPorts)
			}
			want := map[string]string{"from": "image", "both": "user", "mine": "1"}
			if !reflect.DeepEqual(got.Labels, want) {
				t.Errorf("labels %v, want %v", got.Labels, want)
			}
		}},
		{"bare image", containertypes.Config{}, bare, func(t *testing.T, got *containertypes.Config) {
			if !reflect.DeepEqual(got.Cmd, []string{"sh"}) || got.Labels == nil || got.Healthcheck != nil || got.User != "" {
				t.Errorf("%+v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := tt.user
			before := tt.user.Labels["both"]
			got := mergeImageConfig(&user, tt.img)
			tt.check(t, got)
			if tt.user.Labels != nil && tt.user.Labels["both"] != before {
				t.Error("merge changed the caller's labels")
			}
		})
	}
}

func TestMergeLogConfig(t *testing.T) {
	s := &Service{cfg: Config{LogDriver: "json-file", LogOpts: map[string]string{"max-size": "10m", "max-file": "3"}}}
	tests := []struct {
		name string
		in   containertypes.LogConfig
		want containertypes.LogConfig
	}{
		{"daemon default", containertypes.LogConfig{},
			containertypes.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}},
		{"opts without driver", containertypes.LogConfig{Config: map[string]string{"max-size": "1m"}},
			containertypes.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "3"}}},
		{"other driver keeps its own", containertypes.LogConfig{Type: "none"},
			containertypes.LogConfig{Type: "none", Config: map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &containertypes.HostConfig{LogConfig: tt.in}
			s.mergeLogConfig(hc)
			if !reflect.DeepEqual(hc.LogConfig, tt.want) {
				t.Fatalf("got %+v, want %+v", hc.LogConfig, tt.want)
			}
		})
	}
}
