package swarm

import (
	"fmt"
	"os/exec"
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

	checkOverlay(t, ds)
	checkMesh(t, ds)

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

// checkOverlay: an overlay network spans the three nodes (VXLAN between
// their namespaces): a client task reaches every web task by address, on
// its own node and on the others; tasks.web lists them all and the
// service name answers with a VIP that spreads connections over them.
func checkOverlay(t *testing.T, ds []*testutil.Daemon) {
	t.Helper()
	cli(t, ds[0], "network", "create", "-d", "overlay", "appnet")
	if out := cli(t, ds[1], "network", "ls", "--filter", "name=appnet", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"); out != "appnet overlay swarm" {
		t.Errorf("network ls on another manager: %q", out)
	}
	if out, err := ds[0].Docker(t, "service", "create", "--name", "bad", "--network", "nosuchnet", "busybox", "true"); err == nil || !strings.Contains(out, "network nosuchnet not found") {
		t.Errorf("service on an unknown network: %v %s", err, out)
	}
	if out, err := ds[0].Docker(t, "run", "--rm", "--network", "appnet", "busybox", "true"); err == nil || !strings.Contains(out, "not implemented") {
		t.Errorf("standalone container on a swarm network: %v %s", err, out)
	}
	cli(t, ds[0], "service", "create", "--name", "web", "--replicas", "3", "--network", "appnet", "--placement-pref", "spread=node.id",
		"--stop-grace-period", "1s", "-d", "busybox", "sh", "-c", "hostname > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	cli(t, ds[0], "service", "create", "--name", "client", "--network", "appnet", "--stop-grace-period", "1s", "-d", "busybox", "sleep", "1d")
	replicas(t, ds[0], "web", "3/3")
	replicas(t, ds[0], "client", "1/1")
	// Now that a task made the network present on the node too.
	if out, err := ds[0].Docker(t, "run", "--rm", "--network", "appnet", "busybox", "true"); err == nil || !strings.Contains(out, "not implemented") {
		t.Errorf("standalone container on this node's copy of a swarm network: %v %s", err, out)
	}
	var client *testutil.Daemon
	var cid string
	for _, d := range ds {
		if ids := taskContainers(t, d, "client"); len(ids) == 1 {
			client, cid = d, ids[0]
		}
	}
	if client == nil {
		t.Fatal("client task container not found on any node")
	}
	// Each node runs one web task (spread): two are on other nodes.
	var webIPs []string
	for _, d := range ds {
		for _, id := range taskContainers(t, d, "web") {
			webIPs = append(webIPs, cli(t, d, "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id))
		}
	}
	if len(webIPs) != 3 {
		t.Fatalf("web task addresses: %v", webIPs)
	}
	for _, ip := range webIPs {
		eventually(t, client, 30*time.Second, "web task "+ip+" from the client", func() string {
			out, err := client.Docker(t, "exec", cid, "timeout", "3", "wget", "-q", "-O", "-", "http://"+ip+"/")
			if err != nil {
				return out
			}
			return ""
		})
	}
	eventually(t, client, 30*time.Second, "tasks.web lists every task", func() string {
		out, _ := client.Docker(t, "exec", cid, "nslookup", "tasks.web")
		for _, ip := range webIPs {
			if !strings.Contains(out, ip) {
				return out
			}
		}
		return ""
	})
	vip := cli(t, ds[0], "service", "inspect", "--format", "{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}", "web")
	vip, _, _ = strings.Cut(vip, "/")
	if vip == "" {
		t.Fatal("web has no virtual IP")
	}
	eventually(t, client, 30*time.Second, "web resolves to its VIP", func() string {
		out, _ := client.Docker(t, "exec", cid, "nslookup", "web")
		if !strings.Contains(out, vip) {
			return out
		}
		return ""
	})
	seen := map[string]bool{}
	eventually(t, client, 30*time.Second, "the VIP spreads over the tasks", func() string {
		// By name: the embedded DNS answers the VIP, which the client's
		// namespace DNATs to one task after the other.
		out, err := client.Docker(t, "exec", cid, "timeout", "3", "wget", "-q", "-O", "-", "http://web/")
		if err == nil {
			seen[strings.TrimSpace(out)] = true
		}
		if len(seen) < 2 {
			return fmt.Sprintf("hosts answering: %v (%v %s)", seen, err, out)
		}
		return ""
	})
	cli(t, ds[0], "service", "rm", "web", "client")
	// The tasks go a moment after their services; until then the
	// cluster refuses, as dockerd's does.
	eventually(t, ds[0], 30*time.Second, "network rm", func() string {
		if out, err := ds[0].Docker(t, "network", "rm", "appnet"); err != nil {
			return out
		}
		return ""
	})
}

// checkMesh: a published port answers on every node, the nodes without
// the service's only task included (routing mesh over the ingress
// overlay); it closes everywhere when the service goes.
func checkMesh(t *testing.T, ds []*testutil.Daemon) {
	t.Helper()
	id0 := cli(t, ds[0], "info", "--format", "{{.Swarm.NodeID}}")
	cli(t, ds[0], "service", "create", "--name", "mesh", "-p", "8080:80", "--constraint", "node.id=="+id0,
		"--stop-grace-period", "1s", "-d", "busybox", "sh", "-c", "echo meshed > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	replicas(t, ds[0], "mesh", "1/1")
	get := func(d *testutil.Daemon) (string, error) {
		out, err := exec.Command("nsenter", "--net=/run/netns/"+d.NetNS, "busybox", "timeout", "3", "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/").CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for i, d := range ds {
		eventually(t, d, 30*time.Second, fmt.Sprintf("published port on node %d", i), func() string {
			if out, err := get(d); err != nil || out != "meshed" {
				return fmt.Sprintf("%v %q", err, out)
			}
			return ""
		})
	}
	cli(t, ds[0], "service", "rm", "mesh")
	for i, d := range ds {
		eventually(t, d, 30*time.Second, fmt.Sprintf("port closed on node %d", i), func() string {
			if out, err := get(d); err == nil {
				return "still answers: " + out
			}
			return ""
		})
	}
}

// TestWorkerOverlay: a manager and a worker; the worker has no store and
// reads the overlay catalog from the manager. A client task on the worker
// resolves and reaches a web task on the manager by service name, and the
// worker's published port reaches it through the routing mesh.
func TestWorkerOverlay(t *testing.T) {
	lan := newLAN(t)
	var ds []*testutil.Daemon
	var addrs []string
	for i := 0; i < 2; i++ {
		ns, ip := lan.node(i)
		d := testutil.StartDaemonInNetNS(t, ns)
		d.LoadBusybox(t)
		ds = append(ds, d)
		addrs = append(addrs, ip+":2377")
	}
	mgr, wrk := ds[0], ds[1]
	// --data-path-addr: VXLAN between the nodes uses these addresses.
	host := func(a string) string { return strings.TrimSuffix(a, ":2377") }
	cli(t, mgr, "swarm", "init", "--advertise-addr", addrs[0], "--listen-addr", addrs[0], "--data-path-addr", host(addrs[0]))
	token := cli(t, mgr, "swarm", "join-token", "-q", "worker")
	if out := cli(t, wrk, "swarm", "join", "--token", token, "--advertise-addr", addrs[1], "--data-path-addr", host(addrs[1]), addrs[0]); !strings.Contains(out, "This node joined a swarm as a worker.") {
		t.Fatalf("join: %s", out)
	}
	t.Cleanup(func() {
		_, _ = wrk.Docker(t, "swarm", "leave", "--force")
		_, _ = mgr.Docker(t, "swarm", "leave", "--force")
	})
	eventually(t, mgr, 30*time.Second, "2 ready nodes", func() string {
		if out, _ := mgr.Docker(t, "node", "ls", "--format", "{{.Status}}"); strings.Count(out, "Ready") != 2 {
			return out
		}
		return ""
	})
	cli(t, mgr, "network", "create", "-d", "overlay", "wnet")
	cli(t, mgr, "service", "create", "--name", "web", "--network", "wnet", "-p", "8081:80", "--constraint", "node.role==manager",
		"--stop-grace-period", "1s", "-d", "busybox", "sh", "-c", "echo from-manager > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	cli(t, mgr, "service", "create", "--name", "client", "--network", "wnet", "--constraint", "node.role==worker",
		"--stop-grace-period", "1s", "-d", "busybox", "sleep", "1d")
	replicas(t, mgr, "web", "1/1")
	replicas(t, mgr, "client", "1/1")
	ids := taskContainers(t, wrk, "client")
	if len(ids) != 1 {
		t.Fatalf("client tasks on the worker: %v", ids)
	}
	cid := ids[0]
	eventually(t, wrk, 30*time.Second, "web by name from the worker's task", func() string {
		out, err := wrk.Docker(t, "exec", cid, "timeout", "3", "wget", "-q", "-O", "-", "http://web/")
		if err != nil || strings.TrimSpace(out) != "from-manager" {
			return fmt.Sprintf("%v %q\n%s", err, out, tail(wrk.Log(), 20))
		}
		return ""
	})
	eventually(t, wrk, 30*time.Second, "published port on the worker", func() string {
		out, err := exec.Command("nsenter", "--net=/run/netns/"+wrk.NetNS, "busybox", "timeout", "3", "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8081/").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "from-manager" {
			return fmt.Sprintf("%v %q", err, out)
		}
		return ""
	})
	cli(t, mgr, "service", "rm", "web", "client")
}
