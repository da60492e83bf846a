package oci

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestResolveUser(t *testing.T) {
	root := fakeRootfs(t)
	tests := []struct {
		spec     string
		groupAdd []string
		want     specs.User
		wantErr  string
	}{
		{spec: "", want: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0, 10}}},
		{spec: "root", want: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0, 10}}},
		{spec: "alice", want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 29, 50}}},
		{spec: "1000", want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 29, 50}}},
		{spec: "alice:staff", want: specs.User{UID: 1000, GID: 50, AdditionalGids: []uint32{50}}},
		{spec: "www-data:0", want: specs.User{UID: 33, GID: 0, AdditionalGids: []uint32{0}}},
		{spec: "4242", want: specs.User{UID: 4242, GID: 0, AdditionalGids: []uint32{0}}},
		{spec: "4242:4343", want: specs.User{UID: 4242, GID: 4343, AdditionalGids: []uint32{4343}}},
		{spec: "nobody", groupAdd: []string{"audio", "777", "staff"}, want: specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534, 29, 777, 50}}},
		{spec: "foo", wantErr: "unable to find user foo: no matching entries in passwd file"},
		{spec: "alice:nogrp", wantErr: "unable to find group nogrp: no matching entries in group file"},
		{spec: "root", groupAdd: []string{"nogrp"}, wantErr: "Unable to find group nogrp: no matching entries in group file"},
	}
	for _, tc := range tests {
		t.Run(tc.spec+strings.Join(tc.groupAdd, ","), func(t *testing.T) {
			got, err := ResolveUserWithGroups(root, tc.spec, tc.groupAdd)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestResolveUserNoPasswd(t *testing.T) {
	root := t.TempDir()
	if u, err := ResolveUser(root, "123:456"); err != nil || u.UID != 123 || u.GID != 456 {
		t.Fatalf("numeric user without passwd: %+v, %v", u, err)
	}
	if _, err := ResolveUser(root, "daemon"); err == nil || err.Error() != "unable to find user daemon: no matching entries in passwd file" {
		t.Fatalf("named user without passwd: %v", err)
	}
	if _, err := ResolveUser(filepath.Join(root, "missing"), ""); err == nil {
		t.Fatal("missing rootfs must be an error, not root")
	}
}

// A hostile image can make /etc/passwd a symlink to the host's files; the
// lookup must stay inside the rootfs.
func TestResolveUserHostileSymlink(t *testing.T) {
	host := t.TempDir()
	write(t, filepath.Join(host, "passwd"), "evil:x:0:0::/:/bin/sh\n")
	for _, target := range []string{
		filepath.Join(host, "passwd"),                     // absolute path to a host file
		"../../../../../../../../" + host[1:] + "/passwd", // relative escape
	} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, "etc/passwd")); err != nil {
			t.Fatal(err)
		}
		_, err := ResolveUser(root, "evil")
		if err == nil || err.Error() != "unable to find user evil: no matching entries in passwd file" {
			t.Fatalf("symlink %s: host passwd was read: err=%v", target, err)
		}
	}

	// Symlinks that stay inside the rootfs are followed (scoped to it).
	root := fakeRootfs(t)
	if err := os.Rename(filepath.Join(root, "etc/passwd"), filepath.Join(root, "etc/passwd.real")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd.real", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if u, err := ResolveUser(root, "alice"); err != nil || u.UID != 1000 {
		t.Fatalf("in-root symlink: %+v %v", u, err)
	}
}

func TestResolveUserRejectsFIFO(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(filepath.Join(root, "etc/passwd")); err != nil {
		t.Skip("mkfifo:", err)
	}
	// Would block forever if opened for reading.
	if _, err := ResolveUser(root, "root"); err == nil {
		t.Fatal("expected an error for a FIFO /etc/passwd")
	}
}
