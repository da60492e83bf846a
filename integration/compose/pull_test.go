package compose

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPullPush drives compose push, pull and the pull that up does for a
// missing image, against our own registry on 127.0.0.1.
func TestPullPush(t *testing.T) {
	port := freePort(t)
	ref := fmt.Sprintf("127.0.0.1:%d/compose/app:1", port)
	p := newProject(t, "pulling", map[string]string{"compose.yaml": fmt.Sprintf(`services:
  app:
    image: %s
    command: ["sleep", "1000"]
    stop_grace_period: 0s
  other:
    image: %s
    command: ["true"]
`, ref, ref)})
	// The pulled tag names busybox's image too: leave no tag behind for
	// later tests that list the image's repository.
	t.Cleanup(func() { p.compose("down"); p.run("rmi", ref) })
	ctx, cancel := context.WithCancel(context.Background())
	reg := exec.CommandContext(ctx, filepath.Join(p.d.Bin, "berth"), "registry", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--root", t.TempDir())
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = reg.Wait() })
	eventually(t, 10*time.Second, func() error {
		_, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/v2/", port))
		return err
	})
	if out, err := p.run("tag", "busybox", ref); err != nil {
		t.Fatalf("tag: %v %s", err, out)
	}
	out := p.compose("push")
	mustContain(t, out, "Image "+ref+"  Pushed")
	if n := countOf(out, "Pushing"); n != 1 {
		t.Errorf("one image shared by two services pushed %d times:\n%s", n, out)
	}
	if out, err := p.run("rmi", ref); err != nil {
		t.Fatalf("rmi: %v %s", err, out)
	}
	mustContain(t, p.compose("pull"), "app  Pulled")
	if _, err := p.run("image", "inspect", ref); err != nil {
		t.Fatal("compose pull did not pull")
	}
	p.run("rmi", ref)
	out = p.compose("up", "-d")
	mustContain(t, out, "Pulled", "Container pulling-app-1  Started")
}

func countOf(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}
