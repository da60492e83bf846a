package stack

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/cli/command"
)

func TestStackConfig(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "docker-compose.yml")
	over := filepath.Join(dir, "override.yml")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(base, "version: \"3\"\nservices:\n  web:\n    image: busybox:${TAG}\n    deploy:\n      replicas: 2\n    networks: [webnet]\nnetworks:\n  webnet: {}\n")
	write(over, "services:\n  web:\n    deploy:\n      replicas: 5\n")
	t.Setenv("TAG", "1.36")
	for _, tc := range []struct {
		name   string
		args   []string
		want   []string
		absent []string
	}{
		{"merged and interpolated", []string{"-c", base, "-c", over},
			[]string{"image: busybox:1.36", "replicas: 5", "webnet"}, []string{"stack_", "name: stack", "${TAG}", "replicas: 2"}},
		{"skip interpolation", []string{"-c", base, "--skip-interpolation"},
			[]string{"image: busybox:${TAG}", "replicas: 2"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			c := command.NewCli(io.NopCloser(strings.NewReader("")), &out, &errb)
			cmd := newConfigCommand(c)
			cmd.SetArgs(tc.args)
			cmd.SetOut(&out)
			cmd.SetErr(&errb)
			if err := cmd.Execute(); err != nil {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out.String(), a) {
					t.Errorf("output has %q:\n%s", a, out.String())
				}
			}
		})
	}
	var out bytes.Buffer
	cmd := newConfigCommand(command.NewCli(io.NopCloser(strings.NewReader("")), &out, &out))
	cmd.SetArgs(nil)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "Specify a Compose file") {
		t.Errorf("no file: %v", err)
	}
}
