package network

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestUserNetworkDNSAndIsolation: containers on a user network find each
// other by name and alias through 127.0.0.11; a container on another
// network cannot reach them.
func TestUserNetworkDNSAndIsolation(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			net1, net2 := uniq("n1"), uniq("n2")
			web := uniq("web")
			cidr, prefix := subnet()
			netCreate(t, run, "--subnet", cidr, "--label", "it=1", net1)
			netCreate(t, run, net2)

			must(t, run, "run", "-d", "--name", web, "--network", net1, "--network-alias", "www", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
			defer run("rm", "-f", web)

			out := must(t, run, "run", "--rm", "--network", net1, "busybox", "cat", "/etc/resolv.conf")
			if !strings.Contains(out, "nameserver 127.0.0.11") {
				t.Fatalf("resolv.conf on a user network:\n%s", out)
			}
			for _, host := range []string{web, "www", strings.ToUpper(web)} {
				out = must(t, run, "run", "--rm", "--network", net1, "busybox", "nslookup", host, "127.0.0.11")
				if !strings.Contains(out, prefix+".") {
					t.Fatalf("nslookup %s: no address in %s.0/24:\n%s", host, prefix, out)
				}
			}
			out = must(t, run, "run", "--rm", "--network", net1, "busybox", "sh", "-c", wgetCmd(5, "http://"+web+"/hostname"))
			if strings.TrimSpace(out) == "" {
				t.Fatalf("wget by name returned nothing")
			}
			// Unknown names are not ours: NXDOMAIN or a forwarding error, never an address.
			if out, err := run("run", "--rm", "--network", net1, "busybox", "nslookup", "no-such-container", "127.0.0.11"); err == nil && strings.Contains(out, prefix+".") {
				t.Fatalf("unknown name resolved:\n%s", out)
			}

			ip := strings.TrimSpace(must(t, run, "inspect", "-f", "{{(index .NetworkSettings.Networks \""+net1+"\").IPAddress}}", web))
			if !strings.HasPrefix(ip, prefix+".") {
				t.Fatalf("IP %q not in %s", ip, cidr)
			}
			// Another network: neither the name nor the address works.
			if out, err := run("run", "--rm", "--network", net2, "busybox", "nslookup", web, "127.0.0.11"); err == nil && strings.Contains(out, ip) {
				t.Fatalf("name resolved across networks:\n%s", out)
			}
			if out, err := run("run", "--rm", "--network", net2, "busybox", "sh", "-c", wgetCmd(2, "http://"+ip+"/hostname")); err == nil {
				t.Fatalf("reached %s across networks:\n%s", ip, out)
			}
			// The default bridge has no name resolution either.
			if _, err := run("run", "--rm", "busybox", "sh", "-c", wgetCmd(2, "http://"+web+"/hostname")); err == nil {
				t.Fatalf("default bridge resolved a container name")
			}

			// inspect: the network lists the container, Docker-shaped.
			var nets []struct {
				Name       string
				Driver     string
				Labels     map[string]string
				IPAM       struct{ Config []struct{ Subnet string } }
				Containers map[string]struct{ Name, IPv4Address string }
			}
			if err := json.Unmarshal([]byte(must(t, run, "network", "inspect", net1)), &nets); err != nil || len(nets) != 1 {
				t.Fatalf("network inspect: %v", err)
			}
			n := nets[0]
			if n.Driver != "bridge" || n.Labels["it"] != "1" || len(n.IPAM.Config) != 1 || n.IPAM.Config[0].Subnet != cidr {
				t.Fatalf("inspect: %+v", n)
			}
			found := false
			for _, c := range n.Containers {
				found = found || (c.Name == web && strings.HasPrefix(c.IPv4Address, ip+"/"))
			}
			if !found {
				t.Fatalf("inspect Containers %+v lacks %s %s", n.Containers, web, ip)
			}
			// Removing a network with endpoints fails and keeps it.
			mustFail(t, run, "has active endpoints", "network", "rm", net1)
			must(t, run, "network", "inspect", net1)
		})
	}
}

// TestConnectDisconnect: a running container gets a second interface and
// a name on the new network, and loses both on disconnect.
func TestConnectDisconnect(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			net := uniq("cn")
			c, peer := uniq("c"), uniq("p")
			cidr, prefix := subnet()
			netCreate(t, run, "--subnet", cidr, net)
			must(t, run, "run", "-d", "--name", c, "busybox", "sleep", "300")
			defer run("rm", "-f", c)
			must(t, run, "run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "300")
			defer run("rm", "-f", peer)

			must(t, run, "network", "connect", "--alias", "svc", net, c)
			out := must(t, run, "exec", c, "ip", "-o", "-4", "addr")
			if !strings.Contains(out, "eth1") || !strings.Contains(out, prefix+".") {
				t.Fatalf("after connect:\n%s", out)
			}
			for _, host := range []string{c, "svc"} {
				out = must(t, run, "exec", peer, "ping", "-c1", "-W2", host)
				if !strings.Contains(out, prefix+".") {
					t.Fatalf("ping %s from peer:\n%s", host, out)
				}
			}
			if out := must(t, run, "exec", c, "cat", "/etc/hosts"); !strings.Contains(out, prefix+".") {
				t.Fatalf("/etc/hosts lacks the connected network's address:\n%s", out)
			}
			// The connected container resolves the network's names too: its
			// resolv.conf now points at the embedded server (issue 14).
			out = must(t, run, "exec", c, "ping", "-c1", "-W2", peer)
			if !strings.Contains(out, prefix+".") {
				t.Fatalf("ping %s from the connected container:\n%s", peer, out)
			}
			mustFail(t, run, "already exists in network", "network", "connect", net, c)

			must(t, run, "network", "disconnect", net, c)
			if out, err := run("exec", c, "ping", "-c1", "-W1", peer); err == nil {
				t.Fatalf("%s still reaches %s after disconnect:\n%s", c, peer, out)
			}
			if out := must(t, run, "exec", c, "cat", "/etc/hosts", "/etc/resolv.conf"); strings.Contains(out, prefix+".") || strings.Contains(out, "127.0.0.11") {
				t.Fatalf("hosts/resolv.conf still name the disconnected network or its resolver:\n%s", out)
			}
			out = must(t, run, "exec", c, "ip", "-o", "-4", "addr")
			if strings.Contains(out, prefix+".") {
				t.Fatalf("address left after disconnect:\n%s", out)
			}
			if _, err := run("exec", peer, "ping", "-c1", "-W1", c); err == nil {
				t.Fatalf("name still resolves after disconnect")
			}
			mustFail(t, run, "is not connected to network", "network", "disconnect", net, c)

			// A stopped container is connected at its next start.
			must(t, run, "stop", "-t", "0", c)
			must(t, run, "network", "connect", net, c)
			must(t, run, "start", c)
			out = must(t, run, "exec", c, "ip", "-o", "-4", "addr")
			if !strings.Contains(out, prefix+".") {
				t.Fatalf("not attached at start after connect while stopped:\n%s", out)
			}
		})
	}
}

// TestNetworkErrors: Docker's errors, and nothing half-created.
func TestNetworkErrors(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			a, b := uniq("ea"), uniq("eb")
			cidr, prefix := subnet()
			netCreate(t, run, "--subnet", cidr, a)
			mustFail(t, run, "already exists", "network", "create", a)
			mustFail(t, run, "overlaps", "network", "create", "--subnet", cidr, b)
			mustFail(t, run, "", "network", "create", "--subnet", "10.99.99.0/24", "--gateway", prefix+".1", b)
			mustFail(t, run, "not found", "network", "rm", b)
			mustFail(t, run, "not found", "network", "inspect", b)
			out := mustFail(t, run, "not found", "run", "--rm", "--network", b, "busybox", "true")
			_ = out
			mustFail(t, run, "pre-defined network", "network", "rm", "bridge")
			mustFail(t, run, "user defined networks", "run", "--rm", "--ip", "172.30.9.9", "busybox", "true")
			mustFail(t, run, "user", "run", "--rm", "--network-alias", "x", "busybox", "true")
			ls := must(t, run, "network", "ls", "--format", "{{.Name}}")
			if strings.Contains(ls, b) {
				t.Fatalf("failed create left a network:\n%s", ls)
			}
			for _, n := range []string{"bridge", "host", "none", a} {
				if !strings.Contains(ls, n+"\n") {
					t.Fatalf("network ls lacks %s:\n%s", n, ls)
				}
			}
		})
	}
}

// TestRunNetworkFlags: --ip, --add-host (host-gateway), --dns*, --mac-address,
// host/none/container: modes.
func TestRunNetworkFlags(t *testing.T) {
	d := daemon(t)
	run := d.Run
	net := uniq("fl")
	cidr, prefix := subnet()
	netCreate(t, run, "--subnet", cidr, net)

	out := must(t, run, "run", "--rm", "--network", net, "--ip", prefix+".77", "busybox", "ip", "-o", "-4", "addr", "show", "eth0")
	if !strings.Contains(out, prefix+".77/24") {
		t.Fatalf("--ip: %s", out)
	}
	out = must(t, run, "run", "--rm", "--add-host", "gw:host-gateway", "--add-host", "db:10.1.2.3", "busybox", "cat", "/etc/hosts")
	if !strings.Contains(out, "10.1.2.3\tdb") || !strings.Contains(out, "\tgw") {
		t.Fatalf("--add-host: %s", out)
	}
	out = must(t, run, "run", "--rm", "--dns", "10.9.9.9", "--dns-search", "example.test", "--dns-option", "ndots:3", "busybox", "cat", "/etc/resolv.conf")
	for _, want := range []string{"nameserver 10.9.9.9", "search example.test", "options ndots:3"} {
		if !strings.Contains(out, want) {
			t.Fatalf("--dns flags: want %q in\n%s", want, out)
		}
	}
	out = must(t, run, "run", "--rm", "--mac-address", "02:42:ac:11:00:99", "busybox", "cat", "/sys/class/net/eth0/address")
	if strings.TrimSpace(out) != "02:42:ac:11:00:99" {
		t.Fatalf("--mac-address: %s", out)
	}
	out = must(t, run, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
	if strings.TrimSpace(out) != "lo" {
		t.Fatalf("--network none: %s", out)
	}
	host := uniq("h")
	must(t, run, "run", "-d", "--name", host, "--network", net, "busybox", "sleep", "300")
	defer run("rm", "-f", host)
	want := must(t, run, "exec", host, "cat", "/sys/class/net/eth0/address")
	out = must(t, run, "run", "--rm", "--network", "container:"+host, "busybox", "cat", "/sys/class/net/eth0/address")
	if out != want {
		t.Fatalf("container: mode sees %q, owner has %q", out, want)
	}
	mustFail(t, run, "conflicting options", "run", "--rm", "--network", "container:"+host, "-p", "80", "busybox", "true")
}

// TestDNSForwarding: names the embedded server does not know go to the
// daemon's resolvers (the test daemon uses --dns 127.0.0.1), from the
// host's namespace. A fake resolver on 127.0.0.1:53 answers.
func TestDNSForwarding(t *testing.T) {
	d := daemon(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:53")
	if err != nil {
		t.Skipf("port 53 on 127.0.0.1 is taken, cannot run a fake upstream: %v", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 && q.Question[0].Name == "forward.test." && q.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR("forward.test. 60 IN A 10.11.12.13")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	defer srv.Shutdown()
	run := d.Run
	n := uniq("fw")
	netCreate(t, run, n)
	out := must(t, run, "run", "--rm", "--network", n, "busybox", "nslookup", "-type=a", "forward.test", "127.0.0.11")
	if !strings.Contains(out, "10.11.12.13") {
		t.Fatalf("forwarded name not answered:\n%s", out)
	}
}

// TestOwnDNSServerOnPort53: a container on a user network runs its own
// DNS server on *:53 (UDP and TCP), and names still resolve through
// 127.0.0.11: the embedded server listens on another port and NAT rules
// in the container's namespace send port 53 there, as with Docker.
func TestOwnDNSServerOnPort53(t *testing.T) {
	d := daemon(t)
	bin := filepath.Join(t.TempDir(), "own53")
	build := exec.Command("go", "build", "-o", bin, "./testdata/own53")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build own53: %v\n%s", err, out)
	}
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			n, web := uniq("dns53"), uniq("web")
			cidr, prefix := subnet()
			netCreate(t, run, "--subnet", cidr, n)
			must(t, run, "run", "-d", "--name", web, "--network", n, "busybox", "sleep", "300")
			defer run("rm", "-f", web)
			script := "/own53 > /tmp/own53.log 2>&1 & sleep 0.5; cat /tmp/own53.log; netstat -lnut; " +
				"nslookup " + web + " 127.0.0.11"
			out := must(t, run, "run", "--rm", "--network", n, "-v", bin+":/own53:ro", "busybox", "sh", "-c", script)
			if !strings.Contains(out, "bound\n") {
				t.Fatalf("the container's own server could not bind *:53:\n%s", out)
			}
			if !strings.Contains(out, "0.0.0.0:53 ") && !strings.Contains(out, ":::53 ") {
				t.Fatalf("no wildcard listener on port 53:\n%s", out)
			}
			if !strings.Contains(out, "Address: "+prefix+".") && !strings.Contains(out, "Address 1: "+prefix+".") {
				t.Fatalf("%s did not resolve through 127.0.0.11 next to the own server:\n%s", web, out)
			}
		})
	}
}
