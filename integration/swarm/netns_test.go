package swarm

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// testLAN is a bridge on the host with one network namespace per node,
// each joined by a veth pair: the nodes' "LAN" (10.119.<n>.0/24, ours).
type testLAN struct {
	t      *testing.T
	bridge string
	prefix string
	nss    []string
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

func newLAN(t *testing.T) *testLAN {
	t.Helper()
	testutil.RequireRoot(t)
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	l := &testLAN{t: t, bridge: "btsw" + id, prefix: fmt.Sprintf("10.119.%d", int(b[0])%250)}
	run(t, "ip", "link", "add", l.bridge, "type", "bridge")
	run(t, "ip", "link", "set", l.bridge, "up")
	t.Cleanup(func() {
		for _, ns := range l.nss {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
		_ = exec.Command("ip", "link", "del", l.bridge).Run()
	})
	return l
}

// node makes namespace i with address <prefix>.<10+i> and returns its
// name and address.
func (l *testLAN) node(i int) (ns, addr string) {
	t := l.t
	t.Helper()
	ns = fmt.Sprintf("%sn%d", l.bridge, i)
	veth := fmt.Sprintf("%sv%d", l.bridge, i)
	addr = fmt.Sprintf("%s.%d", l.prefix, 10+i)
	run(t, "ip", "netns", "add", ns)
	l.nss = append(l.nss, ns)
	run(t, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
	run(t, "ip", "link", "set", veth, "master", l.bridge, "up")
	run(t, "ip", "-n", ns, "addr", "add", addr+"/24", "dev", "eth0")
	run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns, addr
}
