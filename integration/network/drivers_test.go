package network

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// vethParent creates a veth pair to stand in for a NIC (this kernel has no
// dummy interfaces) and removes it at the end.
func vethParent(t *testing.T) string {
	t.Helper()
	a := uniq("bntp")
	b := a + "x"
	if out, err := exec.Command("ip", "link", "add", a, "type", "veth", "peer", "name", b).CombinedOutput(); err != nil {
		t.Fatalf("veth: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", a).Run() })
	for _, l := range []string{a, b} {
		if out, err := exec.Command("ip", "link", "set", l, "up").CombinedOutput(); err != nil {
			t.Fatalf("veth up: %v\n%s", err, out)
		}
	}
	return a
}

// TestMacvlan: two containers on a macvlan network (bridge mode) over the
// same parent reach each other.
func TestMacvlan(t *testing.T) {
	d := daemon(t)
	parent := vethParent(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			net := uniq("mv")
			cidr, prefix := subnet()
			netCreate(t, run, "-d", "macvlan", "-o", "parent="+parent, "--subnet", cidr, net)
			a := uniq("ma")
			must(t, run, "run", "-d", "--name", a, "--network", net, "--ip", prefix+".10", "busybox", "sleep", "300")
			defer run("rm", "-f", a)
			out := must(t, run, "run", "--rm", "--network", net, "busybox", "ping", "-c1", "-W2", prefix+".10")
			if !strings.Contains(out, "1 packets received") {
				t.Fatalf("macvlan ping:\n%s", out)
			}
			out = must(t, run, "network", "inspect", "-f", "{{.Driver}} {{index .Options \"parent\"}}", net)
			if strings.TrimSpace(out) != "macvlan "+parent {
				t.Fatalf("inspect: %q", out)
			}
		})
	}
}

// TestMissingKernelFeatures: ipvlan and 802.1q sub-interfaces are not in
// this kernel; the error says so and nothing is left.
func TestMissingKernelFeatures(t *testing.T) {
	d := daemon(t)
	parent := vethParent(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			cases := []struct {
				args []string
				want string
			}{
				{[]string{"-d", "ipvlan", "-o", "parent=" + parent}, "ipvlan"},
				{[]string{"-d", "ipvlan", "-o", "parent=" + parent, "-o", "ipvlan_mode=l3"}, "ipvlan"},
				{[]string{"-d", "macvlan", "-o", "parent=" + parent + ".50"}, "802.1q"},
				// The tutorials' networks with several subnets per family:
				// what they hit is the kernel, not the subnets. The
				// 802.1q one hangs off the test's veth, not eth0.
				{[]string{"-d", "ipvlan", "--subnet=192.168.210.0/24", "--subnet=192.168.212.0/24", "--gateway=192.168.210.254",
					"--gateway=192.168.212.254", "-o", "ipvlan_mode=l2"}, "ipvlan"},
				{[]string{"-d", "macvlan", "--subnet=192.168.216.0/24", "--subnet=192.168.218.0/24", "--gateway=192.168.216.1",
					"--gateway=192.168.218.1", "--subnet=2001:db8:abc8::/64", "--gateway=2001:db8:abc8::10", "-o", "parent=" + parent + ".218",
					"-o", "macvlan_mode=bridge"}, "802.1q"},
			}
			for _, c := range cases {
				net := uniq("kf")
				cidr, _ := subnet()
				args := append([]string{"network", "create"}, c.args...)
				if !strings.Contains(strings.Join(c.args, " "), "-subnet") {
					args = append(args, "--subnet", "SUBNET")
				}
				for i, a := range args {
					if a == "SUBNET" {
						args[i] = cidr
					}
				}
				args = append(args, net)
				out, err := run(args...)
				if err == nil {
					run("network", "rm", net)
					t.Fatalf("%v: succeeded on a kernel without %s", c.args, c.want)
				}
				if !strings.Contains(strings.ToLower(out), c.want) || !strings.Contains(out, "CONFIG_") {
					t.Fatalf("%v: error does not name the missing kernel feature:\n%s", c.args, out)
				}
				if ls := must(t, run, "network", "ls", "-q", "--filter", "name="+net); strings.TrimSpace(ls) != "" {
					t.Fatalf("%v: network left: %s", c.args, ls)
				}
			}
			// Only the test's veth pair may hang off or be named after the parent.
			out, _ := exec.Command("ip", "-o", "link").CombinedOutput()
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, parent) && !strings.Contains(l, " "+parent+"@") && !strings.Contains(l, " "+parent+"x@") {
					t.Fatalf("device left behind: %s", l)
				}
			}
		})
	}
}

// TestIPv6 gives two containers dual-stack addresses and pings over v6.
func TestIPv6(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			net := uniq("v6")
			cidr, _ := subnet()
			b := []byte(uniq(""))
			v6 := fmt.Sprintf("fd00:%s:%s::/64", b[0:4], b[2:6])
			netCreate(t, run, "--ipv6", "--subnet", cidr, "--subnet", v6, net)
			a := uniq("s")
			must(t, run, "run", "-d", "--name", a, "--network", net, "busybox", "sleep", "300")
			defer run("rm", "-f", a)
			addr := strings.TrimSpace(must(t, run, "inspect", "-f", "{{(index .NetworkSettings.Networks \""+net+"\").GlobalIPv6Address}}", a))
			if a, err := netip.ParseAddr(addr); err != nil || !netip.MustParsePrefix(v6).Contains(a) {
				t.Fatalf("v6 address %q not in %s", addr, v6)
			}
			out := must(t, run, "run", "--rm", "--network", net, "busybox", "ping", "-6", "-c1", "-W2", addr)
			if !strings.Contains(out, "1 packets received") {
				t.Fatalf("ping6:\n%s", out)
			}
		})
	}
}

// TestPortForms: ranges, hairpin and access from another container.
func TestPortForms(t *testing.T) {
	d := daemon(t)
	run := d.Run
	c := uniq("pf")
	must(t, run, "run", "-d", "--name", c, "-p", "127.0.0.1::80", "-p", "127.0.0.1::81-82/udp", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
	defer run("rm", "-f", c)
	out := must(t, run, "port", c)
	if !strings.Contains(out, "80/tcp -> 127.0.0.1:") || !strings.Contains(out, "81/udp -> 127.0.0.1:") || !strings.Contains(out, "82/udp -> 127.0.0.1:") {
		t.Fatalf("port:\n%s", out)
	}
	hp := strings.TrimSpace(must(t, run, "port", c, "80/tcp"))
	hp = hp[strings.LastIndex(hp, ":")+1:]
	// From the host, on 127.0.0.1.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + hp + "/hostname")
	if err != nil {
		t.Fatalf("GET 127.0.0.1:%s: %v", hp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(strings.TrimSpace(string(body))) == 0 {
		t.Fatalf("GET 127.0.0.1:%s: %s %q", hp, resp.Status, body)
	}
	ip := strings.TrimSpace(must(t, run, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", c))
	// From another container, on the container's address.
	must(t, run, "run", "--rm", "busybox", "sh", "-c", wgetCmd(5, "http://"+ip+"/hostname"))
	mustFail(t, run, "", "run", "--rm", "-p", "8080:80/sctp", "busybox", "true")
}

// TestAttachLeak: 100 create/connect/start/rm cycles leave no interface,
// endpoint or address behind.
func TestAttachLeak(t *testing.T) {
	d := daemon(t)
	run := d.Run
	n1, n2 := uniq("la"), uniq("lb")
	cidr1, _ := subnet()
	cidr2, _ := subnet()
	netCreate(t, run, "--subnet", cidr1, n1)
	netCreate(t, run, "--subnet", cidr2, n2)
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("leak%d", i)
		must(t, run, "create", "--name", name, "--network", n1, "busybox", "sleep", "30")
		must(t, run, "network", "connect", n2, name)
		must(t, run, "start", name)
		must(t, run, "rm", "-f", name)
	}
	for _, n := range []string{n1, n2} {
		bridge := bridgeOf(t, run, n)
		if out, _ := exec.Command("ip", "-o", "link", "show", "master", bridge).CombinedOutput(); len(strings.TrimSpace(string(out))) > 0 {
			t.Fatalf("veths left on %s:\n%s", bridge, out)
		}
		if out := must(t, run, "network", "inspect", "-f", "{{len .Containers}}", n); strings.TrimSpace(out) != "0" {
			t.Fatalf("%s still has endpoints: %s", n, out)
		}
	}
}

// TestMultiSubnet: several subnets per family, on a bridge and on macvlan.
// Inspect shows every subnet with its gateway; containers get addresses
// from the first subnet, or from the one --ip names, with that subnet's
// gateway; the bridge holds both gateways, and the two subnets reach
// each other through it.
func TestMultiSubnet(t *testing.T) {
	d := daemon(t)
	parent := vethParent(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			for _, driver := range []string{"bridge", "macvlan"} {
				net := uniq("ms")
				c1, p1 := subnet()
				c2, p2 := subnet()
				for c2 == c1 {
					c2, p2 = subnet()
				}
				args := []string{"-d", driver, "--subnet", c1, "--subnet", c2, "--gateway", p2 + ".254", "--gateway", p1 + ".254",
					"--subnet", "fd00:b7:" + net[len(net)-4:] + "::/64", "--ipv6"}
				if driver == "macvlan" {
					args = append(args, "-o", "parent="+parent)
				}
				netCreate(t, run, append(args, net)...)
				out := must(t, run, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}", net)
				if !strings.Contains(out, c1+"="+p1+".254 ") || !strings.Contains(out, c2+"="+p2+".254 ") || !strings.Contains(out, "::/64=") {
					t.Fatalf("%s: inspect IPAM: %s", driver, out)
				}
				// The first IPv4 pool is the first one the daemon was sent. The
				// docker CLI sends --subnet flags in map order (its
				// consolidateIpam ranges over a map), so that may be either;
				// the daemon, like dockerd, keeps the order it received.
				first, firstPrefix, other := c1, p1, p2
				if strings.Index(out, c2+"=") < strings.Index(out, c1+"=") {
					first, firstPrefix, other = c2, p2, p1
				}
				a, b := uniq("msa"), uniq("msb")
				must(t, run, "run", "-d", "--name", a, "--network", net, "busybox", "sleep", "300")
				defer run("rm", "-f", a)
				must(t, run, "run", "-d", "--name", b, "--network", net, "--ip", other+".7", "busybox", "sleep", "300")
				defer run("rm", "-f", b)
				f := "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}} {{(index .NetworkSettings.Networks \"" + net + "\").Gateway}}"
				if got := strings.Fields(must(t, run, "inspect", "-f", f, a)); len(got) != 2 || !strings.HasPrefix(got[0], firstPrefix+".") || got[1] != firstPrefix+".254" {
					t.Fatalf("%s: first container not in the first pool %s: %v", driver, first, got)
				}
				if got := strings.Fields(must(t, run, "inspect", "-f", f, b)); len(got) != 2 || got[0] != other+".7" || got[1] != other+".254" {
					t.Fatalf("%s: --ip in the other subnet: %v", driver, got)
				}
				if out := must(t, run, "exec", b, "ip", "route"); !strings.Contains(out, "default via "+other+".254") {
					t.Fatalf("%s: routes of the second-subnet container:\n%s", driver, out)
				}
				if driver == "bridge" {
					br := bridgeOf(t, run, net)
					addrs, _ := exec.Command("ip", "-o", "addr", "show", "dev", br).CombinedOutput()
					for _, gw := range []string{p1 + ".254/24", p2 + ".254/24"} {
						if !strings.Contains(string(addrs), gw) {
							t.Fatalf("bridge %s lacks gateway %s:\n%s", br, gw, addrs)
						}
					}
					// Across the subnets through the bridge's gateways.
					if out, err := run("exec", a, "ping", "-c1", "-W2", other+".7"); err != nil {
						t.Fatalf("ping across subnets: %v\n%s", err, out)
					}
				}
				run("rm", "-f", a, b)
			}
		})
	}
}
