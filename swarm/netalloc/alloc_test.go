package netalloc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func newAlloc(t *testing.T, cfg *networkallocator.Config) *allocator {
	t.Helper()
	na, err := Provider{}.NewAllocator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return na.(*allocator)
}

func overlay(id string, subnets ...string) *api.Network {
	n := &api.Network{ID: id, Spec: api.NetworkSpec{
		Annotations:  api.Annotations{Name: id},
		DriverConfig: &api.Driver{Name: "overlay"},
	}}
	if len(subnets) > 0 {
		n.Spec.IPAM = &api.IPAMOptions{}
		for _, s := range subnets {
			sub, gw, _ := strings.Cut(s, ",")
			n.Spec.IPAM.Configs = append(n.Spec.IPAM.Configs, &api.IPAMConfig{Subnet: sub, Gateway: gw})
		}
	}
	return n
}

func ingress(id string) *api.Network {
	return &api.Network{ID: id, Spec: api.NetworkSpec{
		Annotations: api.Annotations{Name: "ingress"}, Ingress: true,
		DriverConfig: &api.Driver{}, IPAM: &api.IPAMOptions{Driver: &api.Driver{}},
	}}
}

func service(id string, nets ...string) *api.Service {
	s := &api.Service{ID: id, Spec: api.ServiceSpec{Endpoint: &api.EndpointSpec{}}}
	for _, n := range nets {
		s.Spec.Task.Networks = append(s.Spec.Task.Networks, &api.NetworkAttachmentConfig{Target: n})
	}
	return s
}

func task(id string, nets ...*api.Network) *api.Task {
	t := &api.Task{ID: id, ServiceID: "svc", Endpoint: &api.Endpoint{}}
	for _, n := range nets {
		t.Networks = append(t.Networks, &api.NetworkAttachment{Network: n})
	}
	return t
}

func mustAllocate(t *testing.T, a *allocator, n *api.Network) *api.Network {
	t.Helper()
	if err := a.Allocate(n); err != nil {
		t.Fatalf("Allocate(%s): %v", n.ID, err)
	}
	return n
}

func summary(n *api.Network) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s vni=%s", n.DriverState.Name, n.IPAM.Driver.Name, n.DriverState.Options[VXLANIDOption])
	for _, c := range n.IPAM.Configs {
		fmt.Fprintf(&b, " %v:%s gw=%s", c.Family, c.Subnet, c.Gateway)
	}
	return b.String()
}

func TestProviderValidate(t *testing.T) {
	p := Provider{}
	for _, tc := range []struct {
		d    *api.Driver
		ipam bool
		ok   bool
	}{
		{nil, false, true}, {&api.Driver{}, false, true}, {&api.Driver{Name: "overlay"}, false, true},
		{&api.Driver{Name: "bridge"}, false, false}, {&api.Driver{Name: "macvlan"}, false, false},
		{nil, true, true}, {&api.Driver{Name: "default"}, true, true}, {&api.Driver{Name: "infoblox"}, true, false},
	} {
		errs := []error{p.ValidateIPAMDriver(tc.d)}
		if !tc.ipam {
			errs = []error{p.ValidateNetworkDriver(tc.d), p.ValidateIngressNetworkDriver(tc.d)}
		}
		for _, err := range errs {
			if (err == nil) != tc.ok || (err != nil && status.Code(err) != codes.InvalidArgument) {
				t.Errorf("%v (ipam %v): %v", tc.d, tc.ipam, err)
			}
		}
	}
	if err := p.ValidateNetworkDriver(&api.Driver{Name: "bridge"}); err.Error() != `rpc error: code = InvalidArgument desc = network driver "bridge" is not supported in swarm mode` {
		t.Errorf("message: %v", err)
	}
	if p.PredefinedNetworks() != nil {
		t.Error("predefined networks")
	}
	for _, cfg := range []*networkallocator.Config{{DefaultAddrPool: []string{"nope"}}, {DefaultAddrPool: []string{"fd00::/8"}}, {SubnetSize: 31}} {
		if _, err := p.NewAllocator(cfg); err == nil {
			t.Errorf("NewAllocator(%+v) succeeded", cfg)
		}
	}
}

func TestAllocateNetworks(t *testing.T) {
	a := newAlloc(t, nil)
	for _, tc := range []struct {
		n    *api.Network
		want string // summary, or "error: substring"
	}{
		{ingress("ingress"), "overlay default vni=4097 IPV4:10.0.0.0/24 gw=10.0.0.1"},
		{overlay("n1"), "overlay default vni=4098 IPV4:10.0.1.0/24 gw=10.0.1.1"},
		{overlay("user", "10.0.3.0/24,10.0.3.254"), "overlay default vni=4099 IPV4:10.0.3.0/24 gw=10.0.3.254"},
		{overlay("n2"), "overlay default vni=4100 IPV4:10.0.2.0/24 gw=10.0.2.1"},
		{overlay("n3"), "overlay default vni=4101 IPV4:10.0.4.0/24 gw=10.0.4.1"},
		{overlay("clash", "10.0.1.128/25"), "error: overlaps with network n1"},
		{overlay("self", "192.168.0.0/24", "192.168.0.0/16"), "error: overlap"},
		{overlay("small", "192.168.9.0/31"), "error: too small"},
		{overlay("dual", "fd00:1::/64", "192.168.1.0/24"), "overlay default vni=4102 IPV6:fd00:1::/64 gw= IPV4:192.168.1.0/24 gw=192.168.1.1"},
		{overlay("v6only", "fd00:2::/64"), "overlay default vni=4103 IPV4:10.0.5.0/24 gw=10.0.5.1 IPV6:fd00:2::/64 gw="},
		{&api.Network{ID: "local", Spec: api.NetworkSpec{DriverConfig: &api.Driver{Name: "bridge"}}}, "error: not supported in swarm mode"},
	} {
		err := a.Allocate(tc.n)
		if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got %v, want error %q", tc.n.ID, err, want)
			}
			if a.IsAllocated(tc.n) {
				t.Errorf("%s: allocated after an error", tc.n.ID)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.n.ID, err)
			continue
		}
		if got := summary(tc.n); got != tc.want || !a.IsAllocated(tc.n) {
			t.Errorf("%s: got %q, want %q", tc.n.ID, got, tc.want)
		}
	}
	if err := a.Allocate(&api.Network{ID: "local", Spec: api.NetworkSpec{DriverConfig: &api.Driver{Name: "bridge"}}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("local driver: %v", err)
	}
}

func TestDefaultPoolConfigAndDeallocate(t *testing.T) {
	a := newAlloc(t, &networkallocator.Config{DefaultAddrPool: []string{"172.30.0.0/23"}, SubnetSize: 24})
	n1 := mustAllocate(t, a, overlay("n1"))
	n2 := mustAllocate(t, a, overlay("n2"))
	if err := a.Allocate(overlay("n3")); err == nil || !strings.Contains(err.Error(), "available subnet") {
		t.Fatalf("pool exhausted: %v", err)
	}
	if summary(n2) != "overlay default vni=4098 IPV4:172.30.1.0/24 gw=172.30.1.1" {
		t.Fatal(summary(n2))
	}
	if err := a.Deallocate(n1); err != nil || a.IsAllocated(n1) {
		t.Fatal(err)
	}
	n3 := mustAllocate(t, a, overlay("n3"))
	if summary(n3) != "overlay default vni=4097 IPV4:172.30.0.0/24 gw=172.30.0.1" {
		t.Fatalf("freed subnet and VNI not reused: %s", summary(n3))
	}
}

func TestNetworkKeepsSpecOptions(t *testing.T) {
	a := newAlloc(t, nil)
	n := overlay("n")
	n.Spec.DriverConfig.Options = map[string]string{"encrypted": ""}
	mustAllocate(t, a, n)
	if _, ok := n.DriverState.Options["encrypted"]; !ok || n.DriverState.Options[VXLANIDOption] != "4097" {
		t.Fatal(n.DriverState)
	}
}

func TestServiceVIPs(t *testing.T) {
	a := newAlloc(t, nil)
	in := mustAllocate(t, a, ingress("in"))
	mustAllocate(t, a, overlay("n1"))
	mustAllocate(t, a, overlay("n2"))
	vips := func(s *api.Service) string {
		var out []string
		for _, v := range s.Endpoint.VirtualIPs {
			out = append(out, v.NetworkID+"="+v.Addr)
		}
		return strings.Join(out, " ")
	}
	s := service("s", "n1", "unknown")
	if a.IsServiceAllocated(s, networkallocator.OnInit) || a.IsServiceAllocated(s) {
		t.Fatal("unknown service allocated")
	}
	steps := []struct {
		name   string
		change func(*api.Service)
		want   string
	}{
		{"create", func(*api.Service) {}, "n1=10.0.1.2/24"},
		{"add n2", func(s *api.Service) {
			s.Spec.Task.Networks = append(s.Spec.Task.Networks, &api.NetworkAttachmentConfig{Target: "n2"})
		}, "n1=10.0.1.2/24 n2=10.0.2.2/24"},
		{"drop n1", func(s *api.Service) { s.Spec.Task.Networks = s.Spec.Task.Networks[2:] }, "n2=10.0.2.2/24"},
		{"publish", func(s *api.Service) {
			s.Spec.Endpoint.Ports = []*api.PortConfig{{TargetPort: 80, PublishedPort: 8080}}
			// SwarmKit appends the ingress VIP itself before calling us.
			s.Endpoint.VirtualIPs = append(s.Endpoint.VirtualIPs, &api.Endpoint_VirtualIP{NetworkID: in.ID})
		}, "n2=10.0.2.2/24 in=10.0.0.2/24"},
		{"dnsrr keeps ingress only", func(s *api.Service) { s.Spec.Endpoint.Mode = api.ResolutionModeDNSRoundRobin }, "in=10.0.0.2/24"},
		{"unpublish", func(s *api.Service) { s.Spec.Endpoint.Ports = nil }, ""},
		{"back to vip", func(s *api.Service) { s.Spec.Endpoint.Mode = api.ResolutionModeVirtualIP }, "n2=10.0.2.3/24"},
		{"legacy networks", func(s *api.Service) {
			s.Spec.Task.Networks, s.Spec.Networks = nil, []*api.NetworkAttachmentConfig{{Target: "n1"}}
		}, "n1=10.0.1.3/24"},
	}
	for _, st := range steps {
		st.change(s)
		if st.name != "create" && a.IsServiceAllocated(s) {
			t.Fatalf("%s: still allocated after the change", st.name)
		}
		if err := a.AllocateService(s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := vips(s); got != st.want {
			t.Fatalf("%s: VIPs %q, want %q", st.name, got, st.want)
		}
		if !a.IsServiceAllocated(s) || s.Endpoint.Spec.Mode != s.Spec.Endpoint.Mode {
			t.Fatalf("%s: not allocated after AllocateService", st.name)
		}
	}
	// Deallocating forgets the service and frees its VIP; SwarmKit's
	// deallocate-then-allocate of one service keeps the address.
	s.Endpoint.Ports = []*api.PortConfig{{TargetPort: 80}}
	if err := a.DeallocateService(s); err != nil || len(s.Endpoint.VirtualIPs) != 0 || len(s.Endpoint.Ports) != 1 || a.IsServiceAllocated(s) {
		t.Fatalf("deallocate: %v %+v", err, s.Endpoint)
	}
	if err := a.AllocateService(s); err != nil || vips(s) != "n1=10.0.1.3/24" {
		t.Fatalf("reallocate: %v %q", err, vips(s))
	}
	// No spec endpoint at all: still an endpoint, VIP mode.
	s2 := service("s2", "n1")
	s2.Spec.Endpoint = nil
	if err := a.AllocateService(s2); err != nil || s2.Endpoint == nil || vips(s2) != "n1=10.0.1.4/24" {
		t.Fatalf("no endpoint spec: %v %+v", err, s2.Endpoint)
	}
}

func TestTaskAddresses(t *testing.T) {
	a := newAlloc(t, &networkallocator.Config{DefaultAddrPool: []string{"10.10.0.0/16"}, SubnetSize: 29})
	n := mustAllocate(t, a, overlay("n")) // 10.10.0.0/29: .1 gateway, .2-.6 free
	seen := map[string]string{}
	var tasks []*api.Task
	for i := range 5 {
		tk := task(fmt.Sprint("t", i), n)
		if a.IsTaskAllocated(tk) {
			t.Fatal("new task allocated before AllocateTask")
		}
		if err := a.AllocateTask(tk); err != nil {
			t.Fatal(err)
		}
		addr := tk.Networks[0].Addresses[0]
		if other, dup := seen[addr]; dup {
			t.Fatalf("%s given to %s and %s", addr, other, tk.ID)
		}
		seen[addr] = tk.ID
		if !a.IsTaskAllocated(tk) {
			t.Fatalf("%s not allocated", tk.ID)
		}
		tasks = append(tasks, tk)
	}
	if tasks[0].Networks[0].Addresses[0] != "10.10.0.2/29" || tasks[4].Networks[0].Addresses[0] != "10.10.0.6/29" {
		t.Fatal(seen)
	}
	if err := a.AllocateTask(task("full", n)); err == nil || !strings.Contains(err.Error(), "could not find an available IP") {
		t.Fatalf("exhausted subnet: %v", err)
	}
	// A restarted allocation of the same task keeps its address.
	if err := a.AllocateTask(task("t1", n)); err != nil {
		t.Fatal(err)
	}
	tasks[1].Status.State = api.TaskStateShutdown
	tasks[3].Status.State = api.TaskStateShutdown
	for _, tk := range []*api.Task{tasks[1], tasks[3]} {
		if !a.IsTaskAllocated(tk) {
			t.Fatal("ended task not reported allocated: SwarmKit would not free it")
		}
		if err := a.DeallocateTask(tk); err != nil || a.IsTaskAllocated(tk) {
			t.Fatal(err)
		}
	}
	// .3 and .5 are free; the cursor is past .6, so .3 comes first after the wrap.
	for _, want := range []string{"10.10.0.3/29", "10.10.0.5/29"} {
		tk := task("new"+want, n)
		if err := a.AllocateTask(tk); err != nil || tk.Networks[0].Addresses[0] != want {
			t.Fatalf("got %v %v, want %s", tk.Networks[0].Addresses, err, want)
		}
	}
	// A static address already held elsewhere fails and leaves nothing behind.
	st := task("static", n, n)
	st.Networks[0].Addresses = []string{"10.10.0.2/29"}
	if err := a.AllocateTask(st); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("static clash: %v", err)
	}
	if _, known := a.tasks["static"]; known {
		t.Fatal("failed task remembered")
	}
}

func TestIsTaskAllocatedStates(t *testing.T) {
	a := newAlloc(t, nil)
	n := mustAllocate(t, a, overlay("n"))
	for _, tc := range []struct {
		name  string
		t     *api.Task
		state api.TaskState
		want  bool
	}{
		{"new without networks", task("a"), api.TaskStateNew, false},
		{"new without endpoint", &api.Task{ID: "b", ServiceID: "s"}, api.TaskStateNew, false},
		{"running without networks", task("c"), api.TaskStateRunning, true},
		{"running unknown with networks", task("d", n), api.TaskStateRunning, false},
		{"ended unknown", task("e", n), api.TaskStateCompleted, false},
	} {
		tc.t.Status.State = tc.state
		if got := a.IsTaskAllocated(tc.t); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	tk := task("f")
	if err := a.AllocateTask(tk); err != nil || !a.IsTaskAllocated(tk) {
		t.Fatal("task without networks not allocated after AllocateTask", err)
	}
}

func TestAttachments(t *testing.T) {
	a := newAlloc(t, nil)
	in := mustAllocate(t, a, ingress("in"))
	node := &api.Node{ID: "node1"}
	na := &api.NetworkAttachment{Network: in}
	if a.IsAttachmentAllocated(node, na) {
		t.Fatal("allocated before")
	}
	if err := a.AllocateAttachment(node, na); err != nil || na.Addresses[0] != "10.0.0.2/24" || !a.IsAttachmentAllocated(node, na) {
		t.Fatal(err, na.Addresses)
	}
	if err := a.AllocateAttachment(node, &api.NetworkAttachment{Network: overlay("nope")}); err == nil {
		t.Fatal("attachment on an unallocated network")
	}
	if err := a.DeallocateAttachment(node, na); err != nil || a.IsAttachmentAllocated(node, na) {
		t.Fatal(err)
	}
	na2 := &api.NetworkAttachment{Network: in}
	if err := a.AllocateAttachment(&api.Node{ID: "node2"}, na2); err != nil || na2.Addresses[0] != "10.0.0.3/24" {
		t.Fatal(err, na2.Addresses)
	}
}

// TestRestore replays a leader's allocations into a fresh allocator, in
// SwarmKit's order, and checks that nothing moves and that new
// allocations do not hand out anything already in use.
func TestRestore(t *testing.T) {
	a := newAlloc(t, nil)
	in := mustAllocate(t, a, ingress("in"))
	n1 := mustAllocate(t, a, overlay("n1"))
	u := mustAllocate(t, a, overlay("u", "192.168.7.0/24"))
	mustAllocate(t, a, overlay("gone"))
	s := service("s", "n1", "u")
	s.Spec.Endpoint.Ports = []*api.PortConfig{{TargetPort: 80}}
	s.Endpoint = &api.Endpoint{VirtualIPs: []*api.Endpoint_VirtualIP{{NetworkID: "in"}}}
	if err := a.AllocateService(s); err != nil {
		t.Fatal(err)
	}
	var tasks []*api.Task
	for i := range 3 {
		tk := task(fmt.Sprint("t", i), in, n1, u)
		if err := a.AllocateTask(tk); err != nil {
			t.Fatal(err)
		}
		tk.Status.State = api.TaskStateRunning
		tasks = append(tasks, tk)
	}
	node := &api.Node{ID: "node1", Attachments: []*api.NetworkAttachment{{Network: in}, {Network: n1}}}
	for _, na := range node.Attachments {
		if err := a.AllocateAttachment(node, na); err != nil {
			t.Fatal(err)
		}
	}
	before := fmt.Sprint(summary(in), summary(n1), summary(u), s.Endpoint.VirtualIPs, tasks[0].Networks, tasks[2].Networks, node.Attachments)

	b := newAlloc(t, nil)
	nets := []*api.Network{u.Copy(), n1.Copy(), in.Copy()}
	for _, n := range nets {
		mustAllocate(t, b, n)
	}
	for _, na := range node.Attachments {
		if b.IsAttachmentAllocated(node, na) {
			t.Fatal("attachment allocated before restore")
		}
		if err := b.AllocateAttachment(node, na); err != nil {
			t.Fatal(err)
		}
	}
	if b.IsServiceAllocated(s, networkallocator.OnInit) {
		t.Fatal("service allocated before restore")
	}
	if err := b.AllocateService(s); err != nil {
		t.Fatal(err)
	}
	for _, tk := range tasks {
		if b.IsTaskAllocated(tk) {
			t.Fatal("task allocated before restore")
		}
		if err := b.AllocateTask(tk); err != nil {
			t.Fatal(err)
		}
	}
	after := fmt.Sprint(summary(nets[2]), summary(nets[1]), summary(nets[0]), s.Endpoint.VirtualIPs, tasks[0].Networks, tasks[2].Networks, node.Attachments)
	if before != after {
		t.Fatalf("restore changed allocations:\n%s\n%s", before, after)
	}
	if !b.IsServiceAllocated(s) || !b.IsTaskAllocated(tasks[1]) || !b.IsAttachmentAllocated(node, node.Attachments[1]) {
		t.Fatal("restored objects not allocated")
	}

	// New allocations: a network takes neither a restored subnet nor a
	// restored VNI ("gone" was never restored, so its subnet is free).
	n2 := mustAllocate(t, b, overlay("n2"))
	if summary(n2) != "overlay default vni=4100 IPV4:10.0.2.0/24 gw=10.0.2.1" {
		t.Fatal(summary(n2))
	}
	used := map[string]bool{}
	for _, v := range s.Endpoint.VirtualIPs {
		used[v.Addr] = true
	}
	for _, tk := range tasks {
		for _, na := range tk.Networks {
			used[na.Addresses[0]] = true
		}
	}
	for _, na := range node.Attachments {
		used[na.Addresses[0]] = true
	}
	for i := range 5 {
		tk := task(fmt.Sprint("new", i), in, n1, u)
		if err := b.AllocateTask(tk); err != nil {
			t.Fatal(err)
		}
		for _, na := range tk.Networks {
			if used[na.Addresses[0]] {
				t.Fatalf("%s handed out twice", na.Addresses[0])
			}
			used[na.Addresses[0]] = true
		}
	}
	s2 := service("s2", "n1")
	if err := b.AllocateService(s2); err != nil || used[s2.Endpoint.VirtualIPs[0].Addr] {
		t.Fatal(err, s2.Endpoint.VirtualIPs)
	}
}

func TestRangeAndGivenVNIs(t *testing.T) {
	a := newAlloc(t, nil)
	n := overlay("r", "10.20.0.0/24")
	n.Spec.IPAM.Configs[0].Range = "10.20.0.128/30"
	n.Spec.DriverConfig.Options = map[string]string{VXLANIDOption: "5000"}
	mustAllocate(t, a, n)
	if n.DriverState.Options[VXLANIDOption] != "5000" || n.IPAM.Configs[0].Gateway != "10.20.0.1" {
		t.Fatal(summary(n))
	}
	var got []string
	for i := range 4 {
		tk := task(fmt.Sprint("t", i), n)
		if err := a.AllocateTask(tk); err != nil {
			got = append(got, "error")
			break
		}
		got = append(got, tk.Networks[0].Addresses[0])
	}
	if strings.Join(got, " ") != "10.20.0.128/24 10.20.0.129/24 10.20.0.130/24 10.20.0.131/24" {
		t.Fatal(got)
	}
	if err := a.AllocateTask(task("t5", n)); err == nil {
		t.Fatal("range exhausted")
	}
	// A static address outside the range but in the subnet is fine.
	st := task("static", n)
	st.Networks[0].Addresses = []string{"10.20.0.9"}
	if err := a.AllocateTask(st); err != nil || st.Networks[0].Addresses[0] != "10.20.0.9/24" {
		t.Fatal(err, st.Networks[0].Addresses)
	}
	for _, bad := range []string{"10.20.0.0", "10.20.0.255", "10.99.0.1"} {
		tk := task("bad"+bad, n)
		tk.Networks[0].Addresses = []string{bad}
		if err := a.AllocateTask(tk); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	clash := overlay("clash")
	clash.DriverState = &api.Driver{Name: "overlay", Options: map[string]string{VXLANIDOption: "5000"}}
	clash.IPAM = &api.IPAMOptions{Configs: []*api.IPAMConfig{{Subnet: "10.30.0.0/24", Gateway: "10.30.0.1"}}}
	if err := a.Allocate(clash); err == nil || !strings.Contains(err.Error(), "VXLAN ID 5000") {
		t.Fatalf("restored VNI clash: %v", err)
	}
}
