package compose

import (
	"strings"
	"testing"
)

const twoSleepers = `services:
  a:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
  b:
    image: busybox
    command: ["sleep", "%s"]
    stop_grace_period: 0s
`

func TestRecreateOnlyWhatChanged(t *testing.T) {
	p := newProject(t, "converge", map[string]string{"compose.yaml": strings.Replace(twoSleepers, "%s", "1000", 1)})
	p.compose("up", "-d")
	before := p.containers()

	// Change b only: a stays, b is replaced under the same name.
	writeFile(t, p.Dir+"/compose.yaml", strings.Replace(twoSleepers, "%s", "2000", 1))
	out := p.compose("up", "-d")
	mustContain(t, out, "Container converge-b-1  Recreate", "Container converge-b-1  Recreated", "Container converge-a-1  Running")
	after := p.containers()
	if after["converge-a-1"].ID != before["converge-a-1"].ID {
		t.Error("a was recreated although unchanged")
	}
	if after["converge-b-1"].ID == before["converge-b-1"].ID {
		t.Error("b was not recreated")
	}
	if after["converge-b-1"].Labels["com.docker.compose.replace"] != before["converge-b-1"].ID {
		t.Errorf("replace label = %q", after["converge-b-1"].Labels["com.docker.compose.replace"])
	}
	if len(after) != 2 {
		t.Fatalf("containers after recreate: %v", after)
	}

	// --no-recreate keeps a diverged container.
	writeFile(t, p.Dir+"/compose.yaml", strings.Replace(twoSleepers, "%s", "3000", 1))
	p.compose("up", "-d", "--no-recreate")
	if p.containers()["converge-b-1"].ID != after["converge-b-1"].ID {
		t.Error("--no-recreate recreated b")
	}
	// --force-recreate replaces everything.
	p.compose("up", "-d", "--force-recreate")
	forced := p.containers()
	if forced["converge-a-1"].ID == after["converge-a-1"].ID || forced["converge-b-1"].ID == after["converge-b-1"].ID {
		t.Error("--force-recreate kept a container")
	}
	out, code := p.composeFail("up", "-d", "--force-recreate", "--no-recreate")
	mustContain(t, out, "--force-recreate and --no-recreate are incompatible")
	if code != 1 {
		t.Errorf("exit code %d", code)
	}

	// A service removed from the file is an orphan: warned about, then
	// removed with --remove-orphans.
	writeFile(t, p.Dir+"/compose.yaml", "services:\n  a:\n    image: busybox\n    command: [\"sleep\", \"1000\"]\n    stop_grace_period: 0s\n")
	out = p.compose("up", "-d")
	mustContain(t, out, "Found orphan containers ([converge-b-1])", "--remove-orphans")
	out = p.compose("up", "-d", "--remove-orphans")
	mustContain(t, out, "Container converge-b-1  Removed")
	if _, ok := p.containers()["converge-b-1"]; ok {
		t.Fatal("orphan survived --remove-orphans")
	}
}

func TestScale(t *testing.T) {
	p := newProject(t, "scaling", map[string]string{"compose.yaml": `services:
  w:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
    deploy:
      replicas: 2
`})
	p.compose("up", "-d")
	cs := p.containers()
	if len(cs) != 2 || cs["scaling-w-1"].ID == "" || cs["scaling-w-2"].ID == "" {
		t.Fatalf("deploy.replicas 2: %v", cs)
	}
	if cs["scaling-w-2"].Labels["com.docker.compose.container-number"] != "2" {
		t.Errorf("number label %v", cs["scaling-w-2"].Labels)
	}
	p.compose("up", "-d", "--scale", "w=3")
	cs = p.containers()
	if len(cs) != 3 || cs["scaling-w-3"].ID == "" {
		t.Fatalf("--scale w=3: %v", cs)
	}
	// Scaling keeps the existing replicas (the hash ignores replicas).
	p.compose("up", "-d", "--scale", "w=1")
	after := p.containers()
	if len(after) != 1 || after["scaling-w-1"].ID != cs["scaling-w-1"].ID {
		t.Fatalf("--scale w=1: %v", after)
	}
	out, _ := p.composeFail("up", "-d", "--scale", "nosuch=2")
	mustContain(t, out, `no such service: nosuch`)
}

// TestRecreateKeepsAnonymousVolumes: a recreated container gets its
// predecessor's anonymous volumes (Compose's behaviour); -V renews them.
func TestRecreateKeepsAnonymousVolumes(t *testing.T) {
	file := "services:\n  db:\n    image: busybox\n    command: [\"sleep\", \"%s\"]\n    stop_grace_period: 0s\n    volumes: [\"/data\"]\n"
	p := newProject(t, "anonvol", map[string]string{"compose.yaml": strings.Replace(file, "%s", "1000", 1)})
	p.compose("up", "-d")
	p.compose("exec", "-T", "db", "sh", "-c", "echo kept > /data/f")
	writeFile(t, p.Dir+"/compose.yaml", strings.Replace(file, "%s", "2000", 1))
	mustContain(t, p.compose("up", "-d"), "Container anonvol-db-1  Recreated")
	if out := p.compose("exec", "-T", "db", "cat", "/data/f"); strings.TrimSpace(out) != "kept" {
		t.Fatalf("anonymous volume not inherited: %q", out)
	}
	p.compose("up", "-d", "--force-recreate", "-V")
	if out, err := p.run("compose", "exec", "-T", "db", "cat", "/data/f"); err == nil {
		t.Fatalf("-V kept the old volume: %q", out)
	}
}

func TestDownServices(t *testing.T) {
	p := newProject(t, "downsome", map[string]string{"compose.yaml": strings.Replace(twoSleepers, "%s", "1000", 1)})
	p.compose("up", "-d")
	out := p.compose("down", "b")
	mustContain(t, out, "Container downsome-b-1  Removed")
	mustNotContain(t, out, "downsome-a-1", "Network")
	cs := p.containers()
	if _, ok := cs["downsome-b-1"]; ok || cs["downsome-a-1"].State != "running" {
		t.Fatalf("down b: %v", cs)
	}
	out, _ = p.composeFail("down", "nosuch")
	mustContain(t, out, "no such service: nosuch")
}

func TestScaleAndWaitVerbs(t *testing.T) {
	p := newProject(t, "verbs", map[string]string{"compose.yaml": `services:
  w:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
  job:
    image: busybox
    command: ["sh", "-c", "sleep 1; exit 2"]
`})
	p.compose("up", "-d")
	first := p.containers()["verbs-w-1"].ID
	p.compose("scale", "w=3")
	cs := p.containers()
	if cs["verbs-w-3"].State != "running" || cs["verbs-w-1"].ID != first {
		t.Fatalf("scale w=3: %v", cs)
	}
	p.compose("scale", "w=1")
	if n := len(p.containers()); n != 2 {
		t.Fatalf("scale w=1 left %d containers", n)
	}
	out, code := p.composeFail("wait", "job")
	mustContain(t, out, "job-1 exited with code 2")
	if code != 2 {
		t.Errorf("wait exit code %d", code)
	}
	out, _ = p.composeFail("scale", "w")
	mustContain(t, out, "invalid scale specifier: w")
}
