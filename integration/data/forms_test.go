package data

import (
	"archive/tar"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVolumeForms runs every -v/--mount/--tmpfs form of the tutorials
// through both CLIs and checks what the container sees and what inspect
// reports.
func TestVolumeForms(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			vol := uniq(t, name, "named")
			host := t.TempDir()
			if err := os.WriteFile(filepath.Join(host, "hostfile"), []byte("from host\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			defer run("volume", "rm", "-f", vol)

			// named: data written by one container is read by the next
			must(t, run, "run", "--rm", "-v", vol+":/data", "busybox", "sh", "-c", "echo kept > /data/f")
			if out := must(t, run, "run", "--rm", "-v", vol+":/data", "busybox", "cat", "/data/f"); out != "kept\n" {
				t.Errorf("named volume content: %q", out)
			}
			// --mount volume, with src= and dst= spellings
			if out := must(t, run, "run", "--rm", "--mount", "type=volume,src="+vol+",dst=/v", "busybox", "cat", "/v/f"); out != "kept\n" {
				t.Errorf("--mount volume: %q", out)
			}
			// readonly volume
			if out, err := run("run", "--rm", "--mount", "type=volume,source="+vol+",target=/v,readonly", "busybox", "touch", "/v/x"); err == nil || !strings.Contains(out, "Read-only file system") {
				t.Errorf("readonly volume writable: %v %q", err, out)
			}
			// bind, read-only and read-write
			if out := must(t, run, "run", "--rm", "-v", host+":/h:ro", "busybox", "cat", "/h/hostfile"); out != "from host\n" {
				t.Errorf("bind ro: %q", out)
			}
			if _, err := run("run", "--rm", "-v", host+":/h:ro", "busybox", "touch", "/h/x"); err == nil {
				t.Errorf("write into a :ro bind succeeded")
			}
			must(t, run, "run", "--rm", "--mount", "type=bind,source="+host+",target=/h", "busybox", "sh", "-c", "echo back > /h/written")
			if b, _ := os.ReadFile(filepath.Join(host, "written")); string(b) != "back\n" {
				t.Errorf("bind write reached host as %q", b)
			}
			// -v creates a missing bind source; --mount refuses it
			missing := filepath.Join(host, "created", "by", "v")
			must(t, run, "run", "--rm", "-v", missing+":/m", "busybox", "true")
			if fi, err := os.Stat(missing); err != nil || !fi.IsDir() {
				t.Errorf("-v did not create its source dir: %v", err)
			}
			nope := filepath.Join(host, "nope")
			fails(t, run, `invalid mount config for type "bind": bind source path does not exist: `+nope,
				"run", "--rm", "--mount", "type=bind,src="+nope+",dst=/x", "busybox", "true")
			// tmpfs through --mount and --tmpfs
			out := must(t, run, "run", "--rm", "--mount", "type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1770", "busybox", "sh", "-c", "grep ' /run ' /proc/mounts; stat -c %a /run")
			if !strings.Contains(out, "tmpfs /run tmpfs") || !strings.Contains(out, "size=65536k") || !strings.HasSuffix(out, "1770\n") {
				t.Errorf("--mount tmpfs: %q", out)
			}
			out = must(t, run, "run", "--rm", "--tmpfs", "/run:size=64m", "busybox", "grep", " /run ", "/proc/mounts")
			if !strings.Contains(out, "size=65536k") || !strings.Contains(out, "noexec") {
				t.Errorf("--tmpfs: %q", out)
			}
			// anonymous: -v /data
			ctr := uniq(t, name, "anon")
			must(t, run, "create", "--name", ctr, "-v", "/data", "-v", vol+":/named", "-v", host+":/bind:ro,rslave", "--mount", "type=tmpfs,dst=/scratch", "busybox", "true")
			defer run("rm", "-fv", ctr)
			ms := map[string]mountPoint{}
			for _, m := range inspectMounts(t, run, ctr) {
				ms[m.Destination] = m
			}
			if m := ms["/data"]; m.Type != "volume" || len(m.Name) != 64 || m.Driver != "local" || !m.RW || !strings.HasSuffix(m.Source, "/"+m.Name+"/_data") {
				t.Errorf("anonymous volume mount: %+v", m)
			}
			if m := ms["/named"]; m.Type != "volume" || m.Name != vol || m.Mode != "z" || !m.RW {
				t.Errorf("named volume mount: %+v", m)
			}
			if m := ms["/bind"]; m.Type != "bind" || m.Source != host || m.Mode != "ro,rslave" || m.RW || m.Propagation != "rslave" {
				t.Errorf("bind mount: %+v", m)
			}
			if m := ms["/scratch"]; m.Type != "tmpfs" || !m.RW || m.Source != "" {
				t.Errorf("tmpfs mount: %+v", m)
			}
			if len(ms) != 4 {
				t.Errorf("inspect Mounts: %+v", ms)
			}
			// ps --filter volume= by name and by destination
			for _, f := range []string{vol, "/data", host} {
				if out := must(t, run, "ps", "-a", "--filter", "volume="+f, "--format", "{{.Names}}"); out != ctr+"\n" {
					t.Errorf("ps --filter volume=%s: %q", f, out)
				}
			}
			// --mount with volume-opt (a tmpfs-backed local volume) and volume-label
			optVol := uniq(t, name, "opts")
			defer run("volume", "rm", "-f", optVol)
			out = must(t, run, "run", "--rm", "--mount", "type=volume,src="+optVol+",dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m,volume-label=purpose=test",
				"busybox", "grep", " /o ", "/proc/mounts")
			if !strings.HasPrefix(out, "tmpfs /o tmpfs") || !strings.Contains(out, "size=1024k") {
				t.Errorf("volume-opt tmpfs volume: %q", out)
			}
			if out := must(t, run, "volume", "inspect", "--format", "{{.Labels.purpose}} {{.Options.type}}", optVol); out != "test tmpfs\n" {
				t.Errorf("volume-label/volume-opt: %q", out)
			}
		})
	}
}

// TestBadMounts checks Docker's answers to bad mount requests, and that a
// refused create leaves no container and no volume.
func TestBadMounts(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			ctr := uniq(t, name, "bad")
			vol := uniq(t, name, "leftover")
			cases := []struct {
				want string
				args []string
			}{
				{"Duplicate mount point: /data", []string{"-v", vol + ":/data", "-v", vol + "2:/data"}},
				{"Duplicate mount point: /data", []string{"-v", vol + ":/data", "--mount", "type=volume,src=" + vol + "2,dst=/data"}},
				{"mount path must be absolute", []string{"-v", vol + ":/ok", "--mount", "type=volume,src=x" + vol + ",dst=relative"}},
				{"includes invalid characters for a local volume name", []string{"-v", vol + ":/ok", "--mount", "type=volume,src=a/b,dst=/data"}},
				{"includes invalid characters for a local volume name", []string{"--mount", "type=volume,src=..,dst=/data"}},
				{"destination can't be '/'", []string{"-v", vol + ":/"}},
				{"invalid mode: bogus", []string{"-v", "/tmp:/data:bogus"}},
				{"No such container: nosuchctr", []string{"-v", vol + ":/ok", "--volumes-from", "nosuchctr"}},
			}
			for _, c := range cases {
				args := append(append([]string{"create", "--name", ctr}, c.args...), "busybox", "true")
				out, err := run(args...)
				if err == nil || !strings.Contains(out, c.want) {
					t.Errorf("%v: want error %q, got %v %q", c.args, c.want, err, out)
				}
				if out, _ := run("ps", "-aq", "--filter", "name="+ctr); out != "" {
					t.Errorf("%v: a refused create left container %q", c.args, out)
					run("rm", "-f", ctr)
				}
				if volumeExists(run, vol) || volumeExists(run, vol+"2") {
					t.Errorf("%v: a refused create left a volume", c.args)
					run("volume", "rm", "-f", vol, vol+"2")
				}
			}
		})
	}
}

// TestImageVolumeAndCopyIn: an image VOLUME gets an anonymous volume, and
// a new empty volume (anonymous or named) mounted over image content is
// filled with it, owner and mode kept; nocopy and binds hide it.
func TestImageVolumeAndCopyIn(t *testing.T) {
	d := daemon(t)
	img := "it/withvol:1"
	imageWith(t, d, img, []tarEntry{
		{hdr: tar.Header{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 33, Gid: 33}},
		{hdr: tar.Header{Name: "data/seed", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 33, Gid: 33}, body: "seed\n"},
		{hdr: tar.Header{Name: "data/sub/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 1, Gid: 2}},
		{hdr: tar.Header{Name: "data/sub/deep", Typeflag: tar.TypeReg, Mode: 0o600, Uid: 1, Gid: 2}, body: "deep\n"},
		{hdr: tar.Header{Name: "data/link", Typeflag: tar.TypeSymlink, Linkname: "seed"}},
	}, "VOLUME /data", `CMD ["sh"]`)
	const listing = "cat /data/seed /data/sub/deep; stat -c '%a %u:%g %n' /data /data/seed /data/sub /data/sub/deep; readlink /data/link"
	const want = "seed\ndeep\n750 33:33 /data\n640 33:33 /data/seed\n700 1:2 /data/sub\n600 1:2 /data/sub/deep\nseed\n"
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			// image VOLUME: anonymous volume, filled
			ctr := uniq(t, name, "imgvol")
			out := must(t, run, "run", "--name", ctr, img, "sh", "-c", listing)
			if out != want {
				t.Errorf("image VOLUME copy-in:\n%s\nwant:\n%s", out, want)
			}
			ms := inspectMounts(t, run, ctr)
			if len(ms) != 1 || ms[0].Type != "volume" || ms[0].Destination != "/data" || ms[0].Mode != "" {
				t.Errorf("image VOLUME mount: %+v", ms)
			}
			must(t, run, "rm", "-v", ctr)
			// named new volume over image content: filled
			vol := uniq(t, name, "fill")
			defer run("volume", "rm", "-f", vol)
			if out := must(t, run, "run", "--rm", "-v", vol+":/data", img, "sh", "-c", listing); out != want {
				t.Errorf("named copy-in:\n%s", out)
			}
			// existing non-empty volume: not refilled
			must(t, run, "run", "--rm", "-v", vol+":/data", img, "sh", "-c", "rm -rf /data/*; echo mine > /data/own")
			if out := must(t, run, "run", "--rm", "-v", vol+":/data", img, "ls", "/data"); out != "own\n" {
				t.Errorf("non-empty volume was refilled: %q", out)
			}
			// nocopy: empty
			nc := uniq(t, name, "nocopy")
			defer run("volume", "rm", "-f", nc)
			if out := must(t, run, "run", "--rm", "-v", nc+":/data:nocopy", img, "ls", "-A", "/data"); out != "" {
				t.Errorf("nocopy volume has %q", out)
			}
			if out := must(t, run, "run", "--rm", "--mount", "type=volume,src="+nc+",dst=/data,volume-nocopy", img, "ls", "-A", "/data"); out != "" {
				t.Errorf("volume-nocopy volume has %q", out)
			}
			// bind hides image content
			host := t.TempDir()
			if out := must(t, run, "run", "--rm", "-v", host+":/data", img, "ls", "-A", "/data"); out != "" {
				t.Errorf("bind shows image content: %q", out)
			}
			if entries, _ := os.ReadDir(host); len(entries) != 0 {
				t.Errorf("image content copied into a bind source: %v", entries)
			}
		})
	}
}

// TestBadMountsStatus checks the HTTP status codes of refused creates.
func TestBadMountsStatus(t *testing.T) {
	d := daemon(t)
	missing := filepath.Join(t.TempDir(), "missing")
	cases := []struct {
		hostConfig string
		want       int
	}{
		{`{"Binds":["x/y:/data"]}`, http.StatusBadRequest},
		{`{"Binds":["..:/data"]}`, http.StatusBadRequest},
		{`{"Binds":["vol:relative"]}`, http.StatusBadRequest},
		{`{"Binds":["/data:/data:bogus"]}`, http.StatusBadRequest},
		{`{"Mounts":[{"Type":"bind","Source":"` + missing + `","Target":"/data"}]}`, http.StatusBadRequest},
		{`{"Mounts":[{"Type":"volume","Source":"a..b/c","Target":"/data"}]}`, http.StatusBadRequest},
		{`{"Binds":["vv:/data","ww:/data"]}`, http.StatusBadRequest},
		{`{"VolumesFrom":["nosuchcontainer"]}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		body := `{"Image":"busybox","Cmd":["true"],"HostConfig":` + c.hostConfig + `}`
		resp, err := d.HTTPClient().Post("http://berth/containers/create", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.hostConfig, resp.StatusCode, msg, c.want)
		}
	}
	if out := must(t, d.Run, "volume", "ls", "-q", "--filter", "name=vv"); out != "" {
		t.Errorf("a refused create left volumes: %q", out)
	}
}
