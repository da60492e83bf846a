package engine

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

func TestPsFiltersAndStatus(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			a, b := "psf-"+name, "psf-"+name+"-b"
			if out, err := run("run", "--name", a, "-l", "tier=back", "busybox", "sh", "-c", "exit 3"); testutil.ExitCode(err) != 3 {
				t.Fatalf("run: %v %s", err, out)
			}
			must(t, run, "run", "-d", "--name", b, "-l", "tier=front", "busybox", "sleep", "1000")
			defer run("rm", "-f", a, b)
			tests := []struct {
				args []string
				want string
			}{
				{[]string{"ps", "-a", "--filter", "name=^/" + a + "$", "--format", "{{.Names}}|{{.Status}}"}, a + "|Exited (3) "},
				{[]string{"ps", "--filter", "name=psf-" + name, "--format", "{{.Names}}|{{.Status}}"}, b + "|Up "},
				{[]string{"ps", "-a", "--filter", "exited=3", "--filter", "name=psf-" + name, "--format", "{{.Names}}"}, a + "\n"},
				{[]string{"ps", "-a", "--filter", "label=tier=front", "--filter", "name=psf-", "--format", "{{.Names}}"}, b + "\n"},
				{[]string{"ps", "--filter", "status=exited", "--filter", "name=psf-" + name, "--format", "{{.Names}}"}, a + "\n"},
			}
			for _, tt := range tests {
				out, err := run(tt.args...)
				if err != nil || !strings.HasPrefix(out, tt.want) || strings.Count(out, "\n") != 1 {
					t.Errorf("%v: %v %q, want a line starting %q", tt.args, err, out, tt.want)
				}
			}
			out, err := run("ps", "--filter", "status=rubbish")
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "invalid filter 'status=rubbish'") {
				t.Errorf("bad status filter: %v %q", err, out)
			}
			out, err = run("ps", "--filter", "colour=red")
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "invalid filter 'colour'") {
				t.Errorf("unknown filter: %v %q", err, out)
			}
		})
	}
}
