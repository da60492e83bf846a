package image

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestApplyChanges(t *testing.T) {
	base := func() *container.Config {
		return &container.Config{Env: []string{"PATH=/usr/bin", "HOME=/root"}, Cmd: []string{"sh"}, WorkingDir: "/srv"}
	}
	for _, tc := range []struct {
		name    string
		changes []string
		check   func(c *container.Config) bool
	}{
		{"cmd json", []string{`CMD ["echo", "hi"]`}, func(c *container.Config) bool { return reflect.DeepEqual(c.Cmd, []string{"echo", "hi"}) }},
		{"cmd shell", []string{"cmd echo $HOME"}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Cmd, []string{"/bin/sh", "-c", "echo $HOME"})
		}},
		{"entrypoint resets cmd", []string{`ENTRYPOINT ["/bin/app"]`}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Entrypoint, []string{"/bin/app"}) && c.Cmd == nil
		}},
		{"entrypoint then cmd", []string{"ENTRYPOINT top -b", `CMD ["-d", "1"]`}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Entrypoint, []string{"/bin/sh", "-c", "top -b"}) && reflect.DeepEqual(c.Cmd, []string{"-d", "1"})
		}},
		{"cmd before entrypoint kept", []string{`CMD ["x"]`, `ENTRYPOINT ["y"]`}, func(c *container.Config) bool { return reflect.DeepEqual(c.Cmd, []string{"x"}) }},
		{"env pairs", []string{`ENV A=1 B="two words" PATH=$PATH:/x`}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Env, []string{"PATH=/usr/bin:/x", "HOME=/root", "A=1", "B=two words"})
		}},
		{"env legacy", []string{"ENV GREETING hello world"}, func(c *container.Config) bool { return c.Env[2] == "GREETING=hello world" }},
		{"env braces default", []string{"ENV X=${NOPE:-dflt} Y=${HOME:+set} Z='$HOME'"}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Env[2:], []string{"X=dflt", "Y=set", "Z=$HOME"})
		}},
		{"expose", []string{"EXPOSE 80 53/udp 8000-8001"}, func(c *container.Config) bool {
			want := network.PortSet{network.MustParsePort("80/tcp"): {}, network.MustParsePort("53/udp"): {}, network.MustParsePort("8000/tcp"): {}, network.MustParsePort("8001/tcp"): {}}
			return reflect.DeepEqual(c.ExposedPorts, want)
		}},
		{"workdir relative", []string{"WORKDIR app"}, func(c *container.Config) bool { return c.WorkingDir == "/srv/app" }},
		{"workdir var", []string{"WORKDIR $HOME/x"}, func(c *container.Config) bool { return c.WorkingDir == "/root/x" }},
		{"user", []string{"USER nobody:nogroup"}, func(c *container.Config) bool { return c.User == "nobody:nogroup" }},
		{"label", []string{`LABEL a=b "c d"=e`}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Labels, map[string]string{"a": "b", "c d": "e"})
		}},
		{"volume json", []string{`VOLUME ["/data", "/logs"]`}, func(c *container.Config) bool { return len(c.Volumes) == 2 }},
		{"volume words", []string{"VOLUME /a /b"}, func(c *container.Config) bool { _, ok := c.Volumes["/b"]; return ok && len(c.Volumes) == 2 }},
		{"stopsignal", []string{"STOPSIGNAL SIGKILL"}, func(c *container.Config) bool { return c.StopSignal == "SIGKILL" }},
		{"onbuild", []string{"ONBUILD RUN echo hi"}, func(c *container.Config) bool { return reflect.DeepEqual(c.OnBuild, []string{"RUN echo hi"}) }},
		{"healthcheck", []string{"HEALTHCHECK --interval=5s --retries=2 CMD curl -f localhost"}, func(c *container.Config) bool {
			h := c.Healthcheck
			return h != nil && h.Interval == 5*time.Second && h.Retries == 2 && reflect.DeepEqual(h.Test, []string{"CMD-SHELL", "curl -f localhost"})
		}},
		{"healthcheck none", []string{"HEALTHCHECK NONE"}, func(c *container.Config) bool { return reflect.DeepEqual(c.Healthcheck.Test, []string{"NONE"}) }},
		{"continuation and comments", []string{"# comment\nENV A=1 \\\n B=2"}, func(c *container.Config) bool {
			return reflect.DeepEqual(c.Env[2:], []string{"A=1", "B=2"})
		}},
		{"shell honoured", []string{`CMD echo`}, func(c *container.Config) bool { return c.Cmd[0] == "/bin/sh" }},
	} {
		c := base()
		if err := ApplyChanges(c, tc.changes); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%s: unexpected config %+v", tc.name, c)
		}
	}
}

func TestApplyChangesErrors(t *testing.T) {
	for _, tc := range []struct{ change, want string }{
		{"RUN echo hi", "run is not a valid change command"},
		{"FROM busybox", "from is not a valid change command"},
		{"ADD . /", "add is not a valid change command"},
		{"ENV", "ENV requires at least one argument"},
		{"ENV A=1 B", `Syntax error - can't find = in "B". Must be of the form: name=value`},
		{"ENV ONLYKEY", "ENV must have two arguments"},
		{"EXPOSE notaport", "invalid containerPort: notaport"},
		{"ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
		{"ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"},
		{`VOLUME [""]`, "VOLUME specified can not be an empty string"},
		{"STOPSIGNAL", "Invalid signal: "},
		{"ENV A=${B", "missing '}'"},
		{"HEALTHCHECK WHAT", "Unknown type"},
	} {
		err := ApplyChanges(&container.Config{}, []string{tc.change})
		if !errdefs.IsInvalidParameter(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want 400 containing %q", tc.change, err, tc.want)
		}
	}
}
