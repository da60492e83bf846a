package swarm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// TestSingleNodeServices: init, node ls, replicated service create/scale/
// update/rollback/rm through the docker CLI; task containers are ordinary
// containers; leave removes them.
func TestSingleNodeServices(t *testing.T) {
	d := initSwarm(t)
	since := time.Now().Add(-time.Second).Unix()

	if got := cli(t, d, "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.Nodes}} {{.Swarm.Managers}}"); got != "active true 1 1" {
		t.Errorf("info swarm: %q", got)
	}
	nodes := cli(t, d, "node", "ls", "--format", "{{.Self}} {{.Status}} {{.Availability}} {{.ManagerStatus}}")
	if nodes != "true Ready Active Leader" {
		t.Errorf("node ls: %q", nodes)
	}
	if out, err := d.Docker(t, "swarm", "init", "--advertise-addr", "127.0.0.1"); err == nil || !strings.Contains(out, "This node is already part of a swarm") {
		t.Errorf("second init: %v %s", err, out)
	}

	cli(t, d, "service", "create", "--name", "web", "--replicas", "3", "--stop-grace-period", "1s", "-d", "busybox", "sleep", "1d")
	replicas(t, d, "web", "3/3")
	if c := taskContainers(t, d, "web"); len(c) != 3 {
		t.Fatalf("task containers: %v", c)
	}
	name := cli(t, d, "ps", "--filter", "label=com.docker.swarm.service.name=web", "--format", "{{.Names}}")
	for _, n := range strings.Fields(name) {
		if !strings.HasPrefix(n, "web.") || strings.Count(n, ".") != 2 {
			t.Errorf("task container name %q is not <service>.<slot>.<task>", n)
		}
	}
	ps := cli(t, d, "service", "ps", "web", "--format", "{{.Name}} {{.DesiredState}} {{.CurrentState}}")
	if strings.Count(ps, "Running Running") != 3 {
		t.Errorf("service ps:\n%s", ps)
	}

	cli(t, d, "service", "scale", "-d", "web=5")
	replicas(t, d, "web", "5/5")

	cli(t, d, "service", "update", "-d", "--env-add", "STAGE=two", "--update-parallelism", "5", "web")
	eventually(t, d, 60*time.Second, "rolling update", func() string {
		ids := taskContainers(t, d, "web")
		if len(ids) != 5 {
			return "running: " + strings.Join(ids, " ")
		}
		for _, id := range ids {
			if env := cli(t, d, "inspect", "--format", "{{.Config.Env}}", id); !strings.Contains(env, "STAGE=two") {
				return id + " env " + env
			}
		}
		return ""
	})
	if ps := cli(t, d, "service", "ps", "web"); strings.Count(ps, "\\_ web.") != 5 || strings.Count(ps, "Shutdown") < 5 {
		t.Errorf("service ps after update shows no replaced tasks:\n%s", ps)
	}
	cli(t, d, "service", "rollback", "-d", "web")
	eventually(t, d, 60*time.Second, "rollback", func() string {
		ids := taskContainers(t, d, "web")
		if len(ids) != 5 {
			return "running: " + strings.Join(ids, " ")
		}
		for _, id := range ids {
			if env := cli(t, d, "inspect", "--format", "{{.Config.Env}}", id); strings.Contains(env, "STAGE=two") {
				return id + " still has " + env
			}
		}
		return ""
	})

	if out, err := d.Docker(t, "service", "update", "-d", "--replicas", "2", "nope"); err == nil || !strings.Contains(out, "nope") {
		t.Errorf("update of a missing service: %v %s", err, out)
	}
	cli(t, d, "service", "rm", "web")
	eventually(t, d, 30*time.Second, "task containers removed", func() string {
		if c := taskContainers(t, d, "web"); len(c) > 0 {
			return strings.Join(c, " ")
		}
		return ""
	})

	evs := cli(t, d, "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Unix()+1),
		"--filter", "type=service", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
	for _, want := range []string{"service create web", "service update web", "service remove web"} {
		if !strings.Contains(evs, want) {
			t.Errorf("events lack %q:\n%s", want, evs)
		}
	}

	cli(t, d, "service", "create", "--name", "left", "--replicas", "2", "-d", "busybox", "sleep", "1d")
	replicas(t, d, "left", "2/2")
	cli(t, d, "swarm", "leave", "--force")
	if got := cli(t, d, "info", "--format", "{{.Swarm.LocalNodeState}}"); got != "inactive" {
		t.Errorf("after leave: %q", got)
	}
	if out := cli(t, d, "ps", "-aq", "--filter", "label=com.docker.swarm.task"); out != "" {
		t.Errorf("task containers left after leave: %s", out)
	}
	if out, err := d.Docker(t, "service", "ls"); err == nil || !strings.Contains(out, "not a swarm manager") {
		t.Errorf("service ls after leave: %v %s", err, out)
	}
	if l := d.Leaks(); l != "" {
		t.Errorf("leaks: %s", l)
	}
}

// TestSecretsAndConfigs: a secret on tmpfs at /run/secrets/<name> with the
// given uid/gid/mode, a config at its target; secret ls/inspect/rm; a
// secret in use cannot be removed.
func TestSecretsAndConfigs(t *testing.T) {
	d := initSwarm(t)
	secret := d.Root + "/pw.txt"
	writeFile(t, secret, "s3cr3t-value")
	conf := d.Root + "/app.conf"
	writeFile(t, conf, "listen=80\n")
	cli(t, d, "secret", "create", "pw", secret)
	cli(t, d, "config", "create", "appconf", conf)
	if ls := cli(t, d, "secret", "ls", "--format", "{{.Name}}"); ls != "pw" {
		t.Errorf("secret ls: %q", ls)
	}
	if out := cli(t, d, "secret", "inspect", "pw"); strings.Contains(out, "s3cr3t") {
		t.Errorf("secret inspect shows the data:\n%s", out)
	}
	cli(t, d, "service", "create", "--name", "sec", "-d",
		"--secret", "source=pw,target=pw,uid=1000,gid=1001,mode=0400",
		"--config", "source=appconf,target=/etc/app.conf",
		"busybox", "sleep", "1d")
	replicas(t, d, "sec", "1/1")
	id := taskContainers(t, d, "sec")[0]
	if got := cli(t, d, "exec", id, "cat", "/run/secrets/pw"); got != "s3cr3t-value" {
		t.Errorf("secret content: %q", got)
	}
	if got := cli(t, d, "exec", id, "stat", "-c", "%u %g %a", "/run/secrets/pw"); got != "1000 1001 400" {
		t.Errorf("secret owner/mode: %q", got)
	}
	if got := cli(t, d, "exec", id, "cat", "/etc/app.conf"); got != "listen=80" {
		t.Errorf("config content: %q", got)
	}
	// The secret is on a tmpfs on the host, never on the data disk.
	if out := cli(t, d, "inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/run/secrets/pw\"}}{{.Source}}{{end}}{{end}}", id); !onTmpfs(out) {
		t.Errorf("secret source %q is not on tmpfs", out)
	}
	if out, err := d.Docker(t, "secret", "rm", "pw"); err == nil || !strings.Contains(out, "in use") {
		t.Errorf("rm of a secret in use: %v %s", err, out)
	}
	cli(t, d, "service", "rm", "sec")
	eventually(t, d, 30*time.Second, "sec removed", func() string {
		if c := taskContainers(t, d, "sec"); len(c) > 0 {
			return strings.Join(c, " ")
		}
		return ""
	})
	cli(t, d, "secret", "rm", "pw")
	cli(t, d, "config", "rm", "appconf")
	if out, err := d.Docker(t, "secret", "inspect", "pw"); err == nil {
		t.Errorf("secret still there: %s", out)
	}
}

// TestSwarmSurvivesRestart: services and their tasks come back after a
// daemon restart.
func TestSwarmSurvivesRestart(t *testing.T) {
	d := initSwarm(t)
	cli(t, d, "service", "create", "--name", "keep", "--replicas", "2", "-d", "busybox", "sleep", "1d")
	replicas(t, d, "keep", "2/2")
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, d, 30*time.Second, "swarm active after restart", func() string {
		out, _ := d.Docker(t, "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}")
		if strings.TrimSpace(out) != "active true" {
			return out
		}
		return ""
	})
	replicas(t, d, "keep", "2/2")
	cli(t, d, "service", "rm", "keep")
}

var _ = testutil.ExitCode

// TestAutolockUnlock: an autolocked manager comes back from a restart
// locked; the cluster answers Docker's locked error until `swarm unlock`
// with the right key (a wrong one is refused), then its services run.
func TestAutolockUnlock(t *testing.T) {
	d := initSwarm(t)
	cli(t, d, "swarm", "update", "--autolock=true")
	key := cli(t, d, "swarm", "unlock-key", "-q")
	cli(t, d, "service", "create", "--name", "locked", "-d", "busybox", "sleep", "1d")
	replicas(t, d, "locked", "1/1")
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, d, 30*time.Second, "locked after restart", func() string {
		if out, _ := d.Docker(t, "info", "--format", "{{.Swarm.LocalNodeState}}"); strings.TrimSpace(out) != "locked" {
			return out
		}
		return ""
	})
	if out, err := d.Docker(t, "service", "ls"); err == nil || !strings.Contains(out, "Swarm is encrypted and needs to be unlocked") {
		t.Errorf("service ls while locked: %v %s", err, out)
	}
	unlock := func(k string) (string, error) {
		cmd := exec.Command("docker", "swarm", "unlock")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"))
		cmd.Stdin = strings.NewReader(k + "\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := unlock("SWMKEY-1-" + strings.Repeat("A", 43)); err == nil || !strings.Contains(out, "invalid key") {
		t.Errorf("unlock with a wrong key: %v %s", err, out)
	}
	if out, err := unlock(key); err != nil {
		t.Fatalf("unlock: %v %s", err, out)
	}
	replicas(t, d, "locked", "1/1")
	cli(t, d, "service", "rm", "locked")

	// swarm ca --rotate: a new root CA, every node's certificate reissued.
	before := cli(t, d, "swarm", "ca")
	// Without a terminal the CLI prints its progress lines first.
	after := cli(t, d, "swarm", "ca", "--rotate")
	if i := strings.LastIndex(after, "-----BEGIN CERTIFICATE-----"); i >= 0 {
		after = after[i:]
	}
	if !strings.HasPrefix(after, "-----BEGIN CERTIFICATE-----") || after == before {
		t.Errorf("swarm ca --rotate:\nbefore %s\nafter %s", before, after)
	}
	if now := cli(t, d, "swarm", "ca"); now != after {
		t.Errorf("swarm ca after the rotation: %s", now)
	}
}
