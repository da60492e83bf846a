package network

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestLegacyLinks: --link on the default bridge writes Docker's
// environment variables and /etc/hosts entries.
func TestLegacyLinks(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			db := uniq("db")
			must(t, run, "run", "-d", "--name", db, "--expose", "5432", "-e", "SECRET=s3", "busybox", "sleep", "300")
			defer run("rm", "-f", db)
			ip := strings.TrimSpace(must(t, run, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", db))

			out := must(t, run, "run", "--rm", "--link", db+":pg", "busybox", "sh", "-c", "env | sort; cat /etc/hosts")
			for _, want := range []string{
				"PG_PORT=tcp://" + ip + ":5432",
				"PG_PORT_5432_TCP_ADDR=" + ip,
				"PG_PORT_5432_TCP_PORT=5432",
				"PG_PORT_5432_TCP_PROTO=tcp",
				"PG_ENV_SECRET=s3",
				ip + "\tpg ",
			} {
				if !strings.Contains(out, want) {
					t.Fatalf("link: want %q in\n%s", want, out)
				}
			}
			if !strings.Contains(out, "PG_NAME=/") {
				t.Fatalf("link: no PG_NAME in\n%s", out)
			}
			// exec gets the link variables too (Docker's exec environment
			// includes them); the exec's own -e still wins.
			app := uniq("app")
			must(t, run, "run", "-d", "--name", app, "--link", db+":pg", "busybox", "sleep", "300")
			defer run("rm", "-f", app)
			out = must(t, run, "exec", "-e", "PG_ENV_SECRET=mine", app, "env")
			for _, want := range []string{"PG_PORT_5432_TCP_ADDR=" + ip, "PG_ENV_SECRET=mine", "PG_NAME=/"} {
				if !strings.Contains(out, want) {
					t.Fatalf("exec in a linked container: want %q in\n%s", want, out)
				}
			}
			out = must(t, run, "run", "--rm", "--link", db+":pg", "busybox", "ping", "-c1", "-W2", "pg")
			if !strings.Contains(out, ip) {
				t.Fatalf("ping pg: %s", out)
			}
			mustFail(t, run, "", "run", "--rm", "--link", "no-such-"+db+":x", "busybox", "true")
		})
	}
}

// TestICCFalse: with --icc=false containers on the default bridge cannot
// talk, except through --link.
func TestICCFalse(t *testing.T) {
	testutil.RequireRoot(t)
	d := testutil.Start(t, "--icc=false")
	defer func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	}()
	d.LoadBusybox(t)
	run := d.Run
	must(t, run, "run", "-d", "--name", "srv", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
	defer run("rm", "-f", "srv")
	ip := strings.TrimSpace(must(t, run, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "srv"))
	if out, err := run("run", "--rm", "busybox", "sh", "-c", wgetCmd(2, "http://"+ip+"/hostname")); err == nil {
		t.Fatalf("icc=false: unlinked container reached %s:\n%s", ip, out)
	}
	out := must(t, run, "run", "--rm", "--link", "srv:web", "busybox", "sh", "-c", wgetCmd(5, "http://web/hostname"))
	if strings.TrimSpace(out) == "" {
		t.Fatalf("icc=false: linked container got nothing")
	}
	// The link's rule goes away with the linking container.
	if out, err := run("run", "--rm", "busybox", "sh", "-c", wgetCmd(2, "http://"+ip+"/hostname")); err == nil {
		t.Fatalf("icc=false: rule outlived the link:\n%s", out)
	}
}
