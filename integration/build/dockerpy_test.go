package build

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const dockerpyScript = `
import io, os, sys, tarfile, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="auto")
ctx = sys.argv[1]
img, logs = c.images.build(path=ctx, tag="it-dockerpy", buildargs={"WHO": "py"}, rm=True)
lines = [l.get("stream", "") for l in logs]
print("".join(lines))
print("ID", img.id)
def run(img, cmd):
    ctr = c.containers.run(img, cmd, detach=True)
    ctr.wait()
    out = ctr.logs().decode().strip()
    ctr.remove()
    return out
print("RUN", run("it-dockerpy", "cat /who"))
# A custom context: an in-memory tar with a Dockerfile of another name.
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tf:
    data = b"FROM busybox\nCOPY hello /hello\n"
    ti = tarfile.TarInfo("Custom.df"); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("hello"); ti.size = 3; tf.addfile(ti, io.BytesIO(b"hi\n"))
buf.seek(0)
img2, _ = c.images.build(fileobj=buf, custom_context=True, dockerfile="Custom.df", tag="it-dockerpy2")
print("RUN2", run("it-dockerpy2", "cat /hello"))
try:
    # docker-py sends rm=0 unless asked: forcerm removes the failed step's
    # container (as dockerd, rm=0 alone would keep it).
    c.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), tag="it-dockerpy-bad", forcerm=True)
except docker.errors.BuildError as e:
    print("BUILDERROR", e.msg)
`

// TestDockerPy: docker-py's images.build with buildargs, a custom
// context with another Dockerfile name, and its BuildError on a failing
// RUN.
func TestDockerPy(t *testing.T) {
	d := daemon(t)
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		t.Skip("docker-py (python3-docker) not installed")
	}
	dir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nARG WHO=nobody\nRUN echo $WHO > /who\n"})
	rmi(t, d, "it-dockerpy", "it-dockerpy2")
	cmd := exec.Command("python3", "-c", dockerpyScript, dir)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, d.Log())
	}
	s := string(out)
	if ps, _ := d.Run("ps", "-aq"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left: %s", ps)
		d.Run("rm", "-f", "$(all)")
	}
	for _, want := range []string{"Step 3/3 : RUN echo $WHO > /who", "ID sha256:", "RUN py", "RUN2 hi", "BUILDERROR The command '/bin/sh -c exit 7' returned a non-zero code: 7"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
}
