package opts

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]int64{"1": 1e9, "0.5": 5e8, "1.25": 1250000000, "0": 0} {
		if got, err := ParseCPUs(in); err != nil || got != want {
			t.Errorf("%s: got %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"abc", "-1", "0.0000000001"} {
		if _, err := ParseCPUs(bad); err == nil {
			t.Errorf("%s: expected error", bad)
		}
	}
}

func TestMemBytes(t *testing.T) {
	var m MemBytes
	if err := m.Set("512m"); err != nil || m.Value() != 512<<20 {
		t.Fatalf("got %d, %v", m, err)
	}
	var s MemSwapBytes
	if err := s.Set("-1"); err != nil || s.Value() != -1 {
		t.Fatalf("got %d, %v", s, err)
	}
	if err := m.Set("lots"); err == nil {
		t.Fatal("expected error")
	}
}

func TestParseEnvFile(t *testing.T) {
	t.Setenv("BT_FROM_ENV", "yes")
	p := filepath.Join(t.TempDir(), "env")
	content := "# comment\n\nA=1\n  B=two words\nBT_FROM_ENV\nBT_UNSET_VAR\nC=\n"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ParseEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "B=two words", "BT_FROM_ENV=yes", "C="}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
	if err := os.WriteFile(p, []byte("BAD KEY=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseEnvFile(p); err == nil {
		t.Fatal("expected whitespace error")
	}
}

func TestParseDevice(t *testing.T) {
	tests := map[string]container.DeviceMapping{
		"/dev/fuse":            {PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"},
		"/dev/sda:/dev/xvda":   {PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "rwm"},
		"/dev/sda:/dev/xvda:r": {PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "r"},
		"/dev/sda:rw":          {PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rw"},
	}
	for in, want := range tests {
		if got, err := ParseDevice(in); err != nil || got != want {
			t.Errorf("%s: got %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"/dev/a:/dev/b:x", "/dev/a:rel", "", "a:b:c:d"} {
		if _, err := ParseDevice(bad); err == nil {
			t.Errorf("%q: expected error", bad)
		}
	}
}

func TestUlimitsAndRestart(t *testing.T) {
	u, err := ParseUlimits([]string{"nofile=1024:2048", "nproc=10", "nofile=5"})
	if err != nil || len(u) != 2 || u[0].Soft != 5 || u[1].Hard != 10 {
		t.Fatalf("got %+v, %v", u, err)
	}
	rp, err := ParseRestartPolicy("on-failure:3")
	if err != nil || rp.Name != container.RestartPolicyOnFailure || rp.MaximumRetryCount != 3 {
		t.Fatalf("got %+v, %v", rp, err)
	}
	for _, bad := range []string{"always:3", "sometimes", "on-failure:x"} {
		if _, err := ParseRestartPolicy(bad); err == nil {
			t.Errorf("%q: expected error", bad)
		}
	}
}

func TestSecurityOptsAndHosts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ParseSecurityOpts([]string{"seccomp=" + p, "no-new-privileges", "apparmor:unconfined", "seccomp=unconfined"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`, "no-new-privileges", "apparmor=unconfined", "seccomp=unconfined"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	for in, want := range map[string]string{"a:1.2.3.4": "a:1.2.3.4", "b=::1": "b:::1", "c:[::1]": "c:::1", "gw:host-gateway": "gw:host-gateway"} {
		if got, err := ValidateExtraHost(in); err != nil || got != want {
			t.Errorf("%s: got %q, %v", in, got, err)
		}
	}
	if _, err := ValidateExtraHost("nohost"); err == nil {
		t.Error("expected error")
	}
}
