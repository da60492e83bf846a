package engine

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestUpdateAndPrune(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "upd-" + name
			id := strings.TrimSpace(must(t, run, "run", "-d", "--name", cname, "-m", "64m", "busybox", "sleep", "1000"))
			defer run("rm", "-f", cname)
			must(t, run, "update", "-m", "96m", "--memory-swap", "192m", "--pids-limit", "42", cname)
			cg := "/sys/fs/cgroup/memory/" + d.CgroupParent() + "/" + id + "/memory.limit_in_bytes"
			if b, err := os.ReadFile(cg); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(96<<20) {
				t.Errorf("memory limit after update: %q %v", b, err)
			}
			if out := must(t, run, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", cname); out != fmt.Sprintf("%d 42\n", 96<<20) {
				t.Errorf("inspect after update: %q", out)
			}
			// prune removes only stopped containers
			stopped := "prune-" + name
			must(t, run, "create", "--name", stopped, "--label", "prune=me", "busybox", "true")
			out := must(t, run, "container", "prune", "-f", "--filter", "label=prune=me")
			if !strings.Contains(out, "Deleted Containers:") || !strings.Contains(out, "Total reclaimed space:") {
				t.Errorf("container prune output: %q", out)
			}
			if out, _ := run("ps", "-a", "--format", "{{.Names}}", "--filter", "name="+stopped); out != "" {
				t.Errorf("pruned container still listed: %q", out)
			}
			if out, _ := run("ps", "--format", "{{.Names}}", "--filter", "name="+cname); out != cname+"\n" {
				t.Errorf("running container must survive prune: %q", out)
			}
		})
	}
}

func TestImportChangesAndPublishAll(t *testing.T) {
	d := daemon(t)
	tar := d.Root + "/busybox.tar"
	must(t, d.Run, "import", "--change", "ENV GREETING=hello", "--change", "WORKDIR /tmp", "--change", "EXPOSE 80",
		"--change", `CMD ["httpd","-f","-p","80","-h","/var/www"]`, "-m", "imported", tar, "it/web:1")
	defer d.Run("rmi", "it/web:1")
	if out := must(t, d.Run, "run", "--rm", "--entrypoint", "sh", "it/web:1", "-c", "echo $GREETING $(pwd)"); out != "hello /tmp\n" {
		t.Errorf("ENV/WORKDIR from --change: %q", out)
	}
	must(t, d.Run, "run", "-d", "--name", "pub-all", "-P", "it/web:1")
	defer d.Run("rm", "-f", "pub-all")
	out := strings.TrimSpace(must(t, d.Run, "port", "pub-all", "80/tcp"))
	_, port, err := net.SplitHostPort(strings.Split(out, "\n")[0])
	if err != nil {
		t.Fatalf("port output %q: %v", out, err)
	}
	waitFor(t, func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if out := must(t, d.Run, "history", "--format", "{{.Comment}}", "it/web:1"); out != "imported\n" {
		t.Errorf("history comment: %q", out)
	}
}

func TestImagePrune(t *testing.T) {
	d := daemon(t)
	// A dangling image: commit without a tag.
	must(t, d.Run, "run", "--name", "dangle-src", "busybox", "touch", "/x")
	id := strings.TrimSpace(must(t, d.Run, "commit", "dangle-src"))
	must(t, d.Run, "rm", "dangle-src")
	if out := must(t, d.Run, "images", "-q", "--no-trunc", "--filter", "dangling=true"); !strings.Contains(out, id) {
		t.Fatalf("committed untagged image %s not dangling: %q", id, out)
	}
	out := must(t, d.Run, "image", "prune", "-f")
	if !strings.Contains(out, "deleted: "+id) || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("image prune: %q", out)
	}
	if out := must(t, d.Run, "images", "-q", "busybox"); strings.TrimSpace(out) == "" {
		t.Errorf("prune removed the tagged busybox image")
	}
}
