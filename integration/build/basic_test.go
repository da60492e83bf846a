package build

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

const basicDockerfile = `FROM busybox
RUN echo hi > /f
COPY hello.txt /hello.txt
CMD ["cat", "/f"]
`

// TestBasicBuild is the thin path: FROM + RUN + COPY + CMD, through each
// CLI, then the image runs and carries the config and history.
func TestBasicBuild(t *testing.T) {
	d := daemon(t)
	for name, bin := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"Dockerfile": basicDockerfile, "hello.txt": "hello\n"})
			tag := "it-basic-" + name
			rmi(t, d, tag)
			out, err := cli(d, bin, dir, "", "build", "--no-cache", "-t", tag, ".")
			if err != nil {
				t.Fatalf("build: %v\n%s\n%s", err, out, d.Log())
			}
			for _, want := range []string{
				"Step 1/4 : FROM busybox", "Step 2/4 : RUN echo hi > /f", "Step 3/4 : COPY hello.txt /hello.txt",
				`Step 4/4 : CMD ["cat", "/f"]`, " ---> Running in ", "Successfully tagged " + tag + ":latest",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !regexp.MustCompile(`Successfully built [0-9a-f]{12}\n`).MatchString(out) {
				t.Errorf("no 'Successfully built <id>':\n%s", out)
			}
			run, err := cli(d, bin, dir, "", "run", "--rm", tag)
			if err != nil || run != "hi\n" {
				t.Fatalf("run: %v %q", err, run)
			}
			run, err = cli(d, bin, dir, "", "run", "--rm", tag, "cat", "/hello.txt")
			if err != nil || run != "hello\n" {
				t.Fatalf("run cat: %v %q", err, run)
			}
			js, err := cli(d, bin, dir, "", "image", "inspect", tag)
			if err != nil {
				t.Fatal(err, js)
			}
			var insp []struct {
				Config struct{ Cmd []string }
				RootFS struct{ Layers []string }
			}
			if err := json.Unmarshal([]byte(js), &insp); err != nil || len(insp) != 1 {
				t.Fatalf("inspect: %v %s", err, js)
			}
			if strings.Join(insp[0].Config.Cmd, " ") != "cat /f" {
				t.Errorf("Cmd = %v", insp[0].Config.Cmd)
			}
			// busybox's layer + RUN + COPY; CMD is an empty layer.
			if len(insp[0].RootFS.Layers) != 3 {
				t.Errorf("layers = %v", insp[0].RootFS.Layers)
			}
			hist, err := cli(d, bin, dir, "", "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag)
			if err != nil {
				t.Fatal(err, hist)
			}
			lines := strings.Split(strings.TrimSpace(hist), "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[0], `/bin/sh -c #(nop)  CMD ["cat" "/f"]`) ||
				!strings.HasPrefix(lines[1], "/bin/sh -c #(nop) COPY file:") || lines[2] != "/bin/sh -c echo hi > /f" {
				t.Errorf("history:\n%s", hist)
			}
			ps, _ := cli(d, bin, dir, "", "ps", "-aq")
			if strings.TrimSpace(ps) != "" {
				t.Errorf("intermediate containers left: %s", ps)
			}
		})
	}
}
