package lifecycle

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		workdir string
		env     []string
		want    string // the normalised WorkingDir
		bad     bool
	}{
		{workdir: "/tmp/", want: "/tmp"},
		{workdir: "/tmp/../usr/./", want: "/usr"},
		{env: []string{"A=1", "B", "C="}},
		{workdir: "tmp", bad: true},
		{workdir: "/", env: []string{""}, bad: true},
		{workdir: "/", env: []string{"=x"}, bad: true},
	}
	for _, tc := range tests {
		cfg := &containertypes.Config{WorkingDir: tc.workdir, Env: tc.env}
		err := validateConfig(cfg)
		if tc.bad {
			if !errdefs.IsInvalidParameter(err) {
				t.Errorf("%q %q: %v, want invalid parameter", tc.workdir, tc.env, err)
			}
			continue
		}
		if err != nil || cfg.WorkingDir != tc.want {
			t.Errorf("%q %q: %v, WorkingDir %q, want %q", tc.workdir, tc.env, err, cfg.WorkingDir, tc.want)
		}
	}
}

func TestValidateImageRef(t *testing.T) {
	for ref, ok := range map[string]bool{
		"busybox": true, "busybox:1.36": true, "example.com:5000/a/b:c": true,
		"sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": true,
		"0123abcd": true,
		"busybox:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": false,
		"Busybox": false, "a b": false,
	} {
		err := validateImageRef(ref)
		if (err == nil) != ok || (err != nil && !errdefs.IsInvalidParameter(err)) {
			t.Errorf("%q: %v", ref, err)
		}
	}
}

func TestCheckPlatform(t *testing.T) {
	img := &image.Image{}
	img.Config.OS, img.Config.Architecture = "linux", "amd64"
	arm := &image.Image{}
	arm.Config.OS, arm.Config.Architecture, arm.Config.Variant = "linux", "arm", "v7"
	type platformCase struct {
		want string
		img  *image.Image
		msg  string // "" for a match
	}
	tests := []platformCase{
		{"", img, ""},
		{"linux/amd64", img, ""},
		{"linux/x86_64", img, ""},
		{"LINUX/AMD64", img, ""},
		{"linux/arm64", img, "image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64"},
		{"linux/arm", arm, ""},
		{"linux/armhf", arm, ""},
		{"linux/arm/v6", arm, "image with reference busybox was found but does not match the specified platform: wanted linux/arm/v6, actual: linux/arm/v7"},
	}
	if runtime.GOARCH == "amd64" {
		tests = append(tests, platformCase{"windows", img, "image with reference busybox was found but does not match the specified platform: wanted windows/amd64, actual: linux/amd64"})
	}
	for _, tc := range tests {
		err := checkPlatform(tc.want, "busybox", tc.img)
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%q: %v", tc.want, err)
		case tc.msg != "" && (!errdefs.IsNotFound(err) || err.Error() != tc.msg):
			t.Errorf("%q: %v, want 404 %q", tc.want, err, tc.msg)
		}
	}
}

func FuzzCheckPlatform(f *testing.F) {
	for _, s := range []string{"linux", "linux/amd64", "linux/arm/v7", "windows/arm64/v8", "//", "a/b/c/d"} {
		f.Add(s)
	}
	img := &image.Image{}
	img.Config.OS, img.Config.Architecture = "linux", "amd64"
	f.Fuzz(func(t *testing.T, p string) {
		osName, arch, variant := normalizePlatform(p)
		if joinPlatform(osName, arch, variant) == "" {
			t.Fatal("empty platform")
		}
		_ = checkPlatform(p, "busybox", img)
	})
}

func TestHandlesSignal(t *testing.T) {
	// The Go runtime catches SIGURG (preemption) in this process.
	if caught, ok := handlesSignal(os.Getpid(), syscall.SIGURG); !ok || !caught {
		t.Errorf("own SIGURG: caught %v ok %v", caught, ok)
	}
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(50 * time.Millisecond)
	if caught, ok := handlesSignal(cmd.Process.Pid, syscall.SIGTERM); !ok || caught {
		t.Errorf("sleep's SIGTERM: caught %v ok %v", caught, ok)
	}
	if !execd(cmd.Process.Pid, "sleep") || execd(cmd.Process.Pid, "top") || runtimeInit(cmd.Process.Pid) {
		t.Error("execd does not read argv[0]")
	}
	if _, ok := handlesSignal(1<<30, syscall.SIGTERM); ok {
		t.Error("a missing process reads as ok")
	}
}
