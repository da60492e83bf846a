package swarm

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// cluster3 starts three daemons, each in a network namespace of its own
// on a test bridge (one machine per node), all managers.
func cluster3(t *testing.T) []*testutil.Daemon {
	t.Helper()
	lan := newLAN(t)
	var ds []*testutil.Daemon
	var addrs []string
	for i := 0; i < 3; i++ {
		ns, ip := lan.node(i)
		d := testutil.StartDaemonInNetNS(t, ns)
		d.LoadBusybox(t)
		ds = append(ds, d)
		addrs = append(addrs, ip+":2377")
	}
	addr := addrs[0]
	cli(t, ds[0], "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr)
	token := cli(t, ds[0], "swarm", "join-token", "-q", "manager")
	if out, err := ds[1].Docker(t, "swarm", "join", "--token", "SWMTKN-1-bogus", addr); err == nil {
		t.Errorf("join with a wrong token succeeded: %s", out)
	}
	for i, d := range ds[1:] {
		a := addrs[i+1]
		out := cli(t, d, "swarm", "join", "--token", token, "--advertise-addr", a, "--listen-addr", a, addr)
		if !strings.Contains(out, "This node joined a swarm as a manager.") {
			t.Fatalf("join: %s", out)
		}
	}
	t.Cleanup(func() {
		for i := len(ds) - 1; i >= 0; i-- {
			_, _ = ds[i].Docker(t, "swarm", "leave", "--force")
		}
	})
	return ds
}

// TestThreeManagers: three nodes (network namespaces) form a cluster; a service spreads over
// them; the leader is killed with SIGKILL: the two others keep a quorum,
// elect a leader and reschedule its tasks.
func TestThreeManagers(t *testing.T) {
	ds := cluster3(t)
	eventually(t, ds[0], 30*time.Second, "3 ready managers", func() string {
		out, _ := ds[0].Docker(t, "node", "ls", "--format", "{{.Status}} {{.ManagerStatus}}")
		if strings.Count(out, "Ready") != 3 || strings.Count(out, "Leader") != 1 || strings.Count(out, "Reachable") != 2 {
			return out
		}
		return ""
	})
	cli(t, ds[1], "service", "create", "--name", "spread", "--replicas", "6", "--stop-grace-period", "1s", "-d", "busybox", "sleep", "1d")
	replicas(t, ds[1], "spread", "6/6")
	for i, d := range ds {
		if n := len(taskContainers(t, d, "spread")); n == 0 {
			t.Errorf("node %d runs no task of 6", i)
		}
	}

	// Kill whichever node leads (init's node unless an election happened).
	lid := leaderID(t, ds[0])
	li := -1
	for i, d := range ds {
		if cli(t, d, "info", "--format", "{{.Swarm.NodeID}}") == lid {
			li = i
		}
	}
	if li < 0 {
		t.Fatal("no leader found")
	}
	dead := ds[li]
	deadID := cli(t, dead, "info", "--format", "{{.Swarm.NodeID}}")
	dead.Kill()
	t.Cleanup(func() { _ = dead.Relaunch() })
	alive := ds[(li+1)%3]
	eventually(t, alive, 90*time.Second, "new leader and the dead node down", func() string {
		out, err := alive.Docker(t, "node", "ls", "--format", "{{.ID}} {{.Status}} {{.ManagerStatus}}")
		if err != nil {
			return out
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, deadID) && !strings.Contains(l, "Down") {
				return out
			}
		}
		if !strings.Contains(out, "Leader") {
			return out
		}
		return ""
	})
	eventually(t, alive, 90*time.Second, "tasks rescheduled on the live nodes", func() string {
		n := 0
		for i, d := range ds {
			if i != li {
				n += len(taskContainers(t, d, "spread"))
			}
		}
		if n != 6 {
			return "running on live nodes: " + strings.Repeat("x", n)
		}
		return ""
	})
	cli(t, alive, "service", "rm", "spread")
}

func leaderID(t *testing.T, d *testutil.Daemon) string {
	t.Helper()
	for _, l := range strings.Split(cli(t, d, "node", "ls", "--format", "{{.ID}} {{.ManagerStatus}}"), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[1] == "Leader" {
			return f[0]
		}
	}
	return ""
}
