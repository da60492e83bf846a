package oci

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// busyboxPasswd and busyboxGroup are the user databases of the busybox
// image (trimmed).
const busyboxPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
alice:x:1000:1000:Alice:/home/alice:/bin/sh
`

const busyboxGroup = `root:x:0:
daemon:x:1:
bin:x:2:
tty:x:5:
wheel:x:10:root
audio:x:29:alice
www-data:x:33:
staff:x:50:alice,bob
users:x:100:
nogroup:x:65534:
alice:x:1000:
`

// fakeRootfs makes a directory with busybox's /etc/passwd and /etc/group.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "etc/passwd"), busyboxPasswd)
	write(t, filepath.Join(root, "etc/group"), busyboxGroup)
	return root
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// baseInput is a plain `docker run busybox sh` as the daemon would pass it.
func baseInput(t *testing.T, rootfs string) Input {
	t.Helper()
	return Input{
		ID:             "0123456789ab",
		Rootfs:         rootfs,
		Config:         &container.Config{Image: "busybox"},
		HostConfig:     &container.HostConfig{NetworkMode: "bridge"},
		Args:           []string{"sh"},
		Env:            []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=0123456789ab"},
		Hostname:       "0123456789ab",
		NetNSPath:      "/run/berth/netns/0123456789ab",
		HostsPath:      "/var/lib/berth/containers/0123456789ab/hosts",
		HostnamePath:   "/var/lib/berth/containers/0123456789ab/hostname",
		ResolvConfPath: "/var/lib/berth/containers/0123456789ab/resolv.conf",
		CgroupsPath:    "/berth/0123456789ab",
	}
}

func ptr[T any](v T) *T { return &v }

func mkfifo(p string) error { return unix.Mkfifo(p, 0o644) }
