package swarm

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// TestSwarmBadInput: the bad input, each answered with Docker's
// error (dockerd 20.10 wording) and nothing left half-made.
func TestSwarmBadInput(t *testing.T) {
	d := initSwarm(t)
	fails := func(want string, args ...string) string {
		t.Helper()
		out, err := d.Docker(t, args...)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("docker %s: err=%v, want %q in:\n%s", strings.Join(args, " "), err, want, out)
		}
		return out
	}
	services := func() string { return cli(t, d, "service", "ls", "-q") }

	fails("network nosuch not found", "service", "create", "--name", "bad1", "--network", "nosuch", "busybox", "true")
	fails("constraint expected one operator from ==, !=", "service", "create", "--name", "bad2", "--constraint", "node.role", "busybox", "true")
	fails("secret not found: nosuch", "service", "create", "--name", "bad3", "--secret", "nosuch", "busybox", "true")
	if s := services(); s != "" {
		t.Errorf("refused creates left services: %s", s)
	}

	// An image no registry has: created (docker warns and lets each node
	// try), its tasks rejected with the reason in service ps.
	cli(t, d, "service", "create", "-d", "--name", "noimg", "--restart-condition", "none", "127.0.0.1:1/nosuch:1", "true")
	taskState(t, d, "noimg", 60*time.Second, "Rejected", "No such image: 127.0.0.1:1/nosuch:1")
	cli(t, d, "service", "rm", "noimg")

	// A constraint no node meets: the task waits, saying why.
	cli(t, d, "service", "create", "-d", "--name", "nonode", "--constraint", "node.labels.zone==mars", "busybox", "sleep", "1d")
	taskState(t, d, "nonode", 30*time.Second, "Pending", "no suitable node (scheduling constraints not satisfied on 1 node)")
	cli(t, d, "service", "rm", "nonode")

	self := cli(t, d, "node", "ls", "-q")
	fails("attempting to demote the last manager of the swarm", "node", "demote", self)
	if role := cli(t, d, "node", "inspect", "-f", "{{.Spec.Role}}", self); role != "manager" {
		t.Errorf("after a refused demote the node is %s", role)
	}

	// Broken stack files: integration/stack TestBadInput (both CLIs).
}

// taskState waits until the service's one task is in state (service ps's
// CURRENT STATE starts with it) with an error that says errText.
func taskState(t *testing.T, d *testutil.Daemon, svc string, timeout time.Duration, state, errText string) {
	t.Helper()
	eventually(t, d, timeout, svc+" "+state, func() string {
		out := cli(t, d, "service", "ps", "--no-trunc", "--format", "{{.CurrentState}}|{{.Error}}", svc)
		if !strings.HasPrefix(out, state) || !strings.Contains(out, errText) {
			return out
		}
		return ""
	})
}

// TestJoinUnreachable: joining a manager that refuses the connection fails
// with the dial error and leaves the node inactive, as dockerd does (the
// wording checked against Docker Engine 20.10).
func TestJoinUnreachable(t *testing.T) {
	d := testutil.StartDaemon(t)
	token := "SWMTKN-1-" + strings.Repeat("0", 50) + "-" + strings.Repeat("a", 25)
	out, err := d.Docker(t, "swarm", "join", "--token", token, "--listen-addr", "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t))
	if err == nil || !strings.Contains(out, "rpc error: code = Unavailable") || !strings.Contains(out, "connect: connection refused") {
		t.Errorf("join of an unreachable manager: err=%v\n%s", err, out)
	}
	eventually(t, d, 10*time.Second, "inactive after the failed join", func() string {
		if st := cli(t, d, "info", "--format", "{{.Swarm.LocalNodeState}}"); st != "inactive" {
			return st
		}
		return ""
	})
	if out, err := d.Docker(t, "swarm", "leave", "--force"); err == nil || !strings.Contains(out, "This node is not part of a swarm") {
		t.Errorf("leave after the failed join: err=%v\n%s", err, out)
	}
}

// TestAutoRollback: an update whose tasks fail rolls back by itself with
// --update-failure-action rollback, and service inspect/ps show it.
func TestAutoRollback(t *testing.T) {
	d := initSwarm(t)
	cli(t, d, "service", "create", "--name", "ar", "--replicas", "2", "--stop-grace-period", "1s",
		"--update-failure-action", "rollback", "--update-monitor", "3s", "--restart-delay", "100ms", "busybox", "sleep", "1d")
	replicas(t, d, "ar", "2/2")
	// The new spec's command exits at once: each new task fails.
	cli(t, d, "service", "update", "-d", "--args", "false", "ar")
	eventually(t, d, 90*time.Second, "automatic rollback", func() string {
		st := cli(t, d, "service", "inspect", "-f", "{{.UpdateStatus.State}}", "ar")
		if st != "rollback_completed" {
			return "update status " + st
		}
		if args := cli(t, d, "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Args}}", "ar"); args != "[sleep 1d]" {
			return "spec args " + args
		}
		return ""
	})
	replicas(t, d, "ar", "2/2")
	ps := cli(t, d, "service", "ps", "--format", "{{.DesiredState}} {{.CurrentState}} {{.Error}}", "ar")
	if !strings.Contains(ps, "Shutdown Failed") && !strings.Contains(ps, "Shutdown Complete") {
		t.Errorf("service ps shows no failed update tasks:\n%s", ps)
	}
	if strings.Count(ps, "Running Running") != 2 {
		t.Errorf("service ps after rollback:\n%s", ps)
	}
}
