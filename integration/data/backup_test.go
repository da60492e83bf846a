package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore is the tutorials' recipe as typed: a data container,
// a backup tar through --volumes-from and a bind, and a restore into a new
// container, compared byte for byte.
func TestBackupRestore(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			dbstore, dbstore2 := uniq(t, name, "dbstore"), uniq(t, name, "dbstore2")
			must(t, run, "create", "-v", "/dbdata", "--name", dbstore, "busybox", "/bin/sh")
			defer run("rm", "-v", dbstore)
			must(t, run, "run", "--rm", "--volumes-from", dbstore, "busybox", "sh", "-c",
				"mkdir -p /dbdata/sub && echo one > /dbdata/a && head -c 100000 /dev/urandom > /dbdata/sub/bin && chmod 600 /dbdata/a && chown 33:33 /dbdata/sub")
			before := must(t, run, "run", "--rm", "--volumes-from", dbstore, "busybox", "sh", "-c", "cd /dbdata && find . | sort | xargs stat -c '%n %a %u:%g %s' && md5sum sub/bin")

			backup := t.TempDir()
			must(t, run, "run", "--rm", "--volumes-from", dbstore, "-v", backup+":/backup", "busybox", "tar", "cvf", "/backup/backup.tar", "/dbdata")
			tarBytes, err := os.ReadFile(filepath.Join(backup, "backup.tar"))
			if err != nil || len(tarBytes) < 100000 {
				t.Fatalf("backup.tar: %v (%d bytes)", err, len(tarBytes))
			}

			must(t, run, "run", "-v", "/dbdata", "--name", dbstore2, "busybox", "/bin/sh")
			defer run("rm", "-v", dbstore2)
			must(t, run, "run", "--rm", "--volumes-from", dbstore2, "-v", backup+":/backup", "busybox", "sh", "-c", "cd /dbdata && tar xvf /backup/backup.tar --strip 1")
			after := must(t, run, "run", "--rm", "--volumes-from", dbstore2, "busybox", "sh", "-c", "cd /dbdata && find . | sort | xargs stat -c '%n %a %u:%g %s' && md5sum sub/bin")
			if after != before {
				t.Errorf("restored volume differs:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// and the restored files are the same bytes as the backup's
			again := t.TempDir()
			must(t, run, "run", "--rm", "--volumes-from", dbstore2, "-v", again+":/backup", "busybox", "sh", "-c", "cat /dbdata/sub/bin > /backup/bin")
			got, _ := os.ReadFile(filepath.Join(again, "bin"))
			if len(got) != 100000 || !bytes.Contains(tarBytes, got) {
				t.Errorf("restored file is not the backed-up bytes (%d bytes)", len(got))
			}
		})
	}
}

// TestDataVolumeContainer shares one container's volumes with two others,
// one of them read-only.
func TestDataVolumeContainer(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			data, w, r := uniq(t, name, "data"), uniq(t, name, "writer"), uniq(t, name, "reader")
			must(t, run, "create", "-v", "/shared", "--name", data, "busybox", "true")
			defer run("rm", "-fv", data)
			must(t, run, "run", "-d", "--name", w, "--volumes-from", data, "busybox", "sh", "-c", "echo hello > /shared/msg; sleep 1000")
			defer run("rm", "-fv", w)
			must(t, run, "run", "-d", "--name", r, "--volumes-from", data+":ro", "busybox", "sleep", "1000")
			defer run("rm", "-fv", r)
			var out string
			for i := 0; i < 50 && out != "hello\n"; i++ {
				out, _ = run("exec", r, "cat", "/shared/msg")
			}
			if out != "hello\n" {
				t.Errorf("reader sees %q", out)
			}
			if out, err := run("exec", r, "touch", "/shared/x"); err == nil || !strings.Contains(out, "Read-only") {
				t.Errorf("--volumes-from :ro is writable: %v %q", err, out)
			}
			ms := inspectMounts(t, run, r)
			src := inspectMounts(t, run, data)
			if len(ms) != 1 || len(src) != 1 || ms[0].Name != src[0].Name || ms[0].RW || !src[0].RW {
				t.Errorf("mounts: data %+v reader %+v", src, ms)
			}
		})
	}
}
