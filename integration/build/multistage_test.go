package build

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const parallelDockerfile = `FROM busybox AS a
RUN cut -d' ' -f1 /proc/uptime > /start; sleep 2; cut -d' ' -f1 /proc/uptime > /end
FROM busybox AS b
RUN cut -d' ' -f1 /proc/uptime > /start; sleep 2; cut -d' ' -f1 /proc/uptime > /end
FROM busybox AS unused
RUN echo never > /never
FROM busybox
COPY --from=a /start /a.start
COPY --from=a /end /a.end
COPY --from=b /start /b.start
COPY --from=b /end /b.end
`

// TestParallelStages: independent stages build at the same time (their
// RUN intervals, read from the host's uptime, overlap), the stage the
// target does not need is skipped, and the output still reads in order.
func TestParallelStages(t *testing.T) {
	d := daemon(t)
	berth := filepath.Join(d.Bin, "berth")
	dir := writeFiles(t, map[string]string{"Dockerfile": parallelDockerfile})
	rmi(t, d, "it-parallel")
	out, err := cli(d, berth, dir, "", "build", "--no-cache", "-t", "it-parallel", ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "never") || strings.Contains(out, "AS unused") {
		t.Errorf("unneeded stage was built:\n%s", out)
	}
	// 2 stages of 2 steps + the final stage of 5 steps.
	last := -1
	for i := 1; i <= 9; i++ {
		at := strings.Index(out, "Step "+strconv.Itoa(i)+"/9 : ")
		if at < 0 || at < last {
			t.Fatalf("step %d/9 missing or out of order:\n%s", i, out)
		}
		last = at
	}
	read := func(p string) float64 {
		s, err := cli(d, berth, dir, "", "run", "--rm", "it-parallel", "cat", p)
		if err != nil {
			t.Fatal(err, s)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	as, ae, bs, be := read("/a.start"), read("/a.end"), read("/b.start"), read("/b.end")
	t.Logf("stage a ran %.2f..%.2f, stage b %.2f..%.2f", as, ae, bs, be)
	if !(as < be && bs < ae) {
		t.Errorf("stages did not overlap: a %.2f-%.2f b %.2f-%.2f", as, ae, bs, be)
	}
}

// TestFromArg: FROM and COPY --from take the meta ARGs.
func TestFromArg(t *testing.T) {
	d := daemon(t)
	df := "ARG SRC=one\nFROM busybox AS one\nRUN echo one > /x\nFROM busybox AS two\nRUN echo two > /x\nFROM busybox\nCOPY --from=${SRC} /x /x\n"
	dir := writeFiles(t, map[string]string{"Dockerfile": df})
	rmi(t, d, "it-fromarg")
	berth := filepath.Join(d.Bin, "berth")
	for arg, want := range map[string]string{"": "one\n", "SRC=two": "two\n"} {
		args := []string{"build", "-t", "it-fromarg"}
		if arg != "" {
			args = append(args, "--build-arg", arg)
		}
		out, err := cli(d, berth, dir, "", append(args, ".")...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if got, _ := d.Run("run", "--rm", "it-fromarg", "cat", "/x"); got != want {
			t.Errorf("%q: /x = %q", arg, got)
		}
	}
}

// TestTarget builds only up to --target (and what it needs).
func TestTarget(t *testing.T) {
	d := daemon(t)
	df := "FROM busybox AS base\nRUN echo base > /base\nFROM base AS mid\nRUN echo mid > /mid\nFROM busybox AS other\nRUN echo other\nFROM mid\nRUN echo final > /final\n"
	dir := writeFiles(t, map[string]string{"Dockerfile": df})
	rmi(t, d, "it-target")
	for name, bin := range clis(t, d) {
		out, err := cli(d, bin, dir, "", "build", "--target", "mid", "-t", "it-target", ".")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if !strings.Contains(out, "Step 4/4 : RUN echo mid > /mid") || strings.Contains(out, "echo other") || strings.Contains(out, "final") {
			t.Errorf("%s: --target mid built the wrong steps:\n%s", name, out)
		}
		if got, _ := cli(d, bin, dir, "", "run", "--rm", "it-target", "cat", "/base", "/mid"); got != "base\nmid\n" {
			t.Errorf("%s: image content %q", name, got)
		}
		out, err = cli(d, bin, dir, "", "build", "--target", "nope", ".")
		if err == nil || !strings.Contains(out, "failed to reach build target nope in Dockerfile") {
			t.Errorf("%s: missing target: %v\n%s", name, err, out)
		}
	}
}
