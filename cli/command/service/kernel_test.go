package service

import (
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/spf13/pflag"
)

func TestEffectiveCaps(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		curAdd, curDrop, add, dr []string
		wantAdd, wantDrop        []string
	}{
		{name: "normalized", add: []string{"net_admin", " CAP_SYS_TIME"}, dr: []string{"mknod"},
			wantAdd: []string{"CAP_NET_ADMIN", "CAP_SYS_TIME"}, wantDrop: []string{"CAP_MKNOD"}},
		{name: "add wins over drop of the same cap", add: []string{"CHOWN"}, dr: []string{"chown"},
			wantAdd: []string{"CAP_CHOWN"}},
		{name: "ALL stands alone", add: []string{"ALL", "NET_ADMIN"}, dr: []string{"all", "CHOWN"},
			wantAdd: []string{"ALL"}},
		{name: "drop ALL keeps the added ones", add: []string{"NET_ADMIN"}, dr: []string{"ALL"},
			wantAdd: []string{"CAP_NET_ADMIN"}, wantDrop: []string{"ALL"}},
		{name: "update: adding leaves the drop list", curAdd: []string{"CAP_NET_ADMIN"}, curDrop: []string{"CAP_CHOWN"},
			add: []string{"chown"}, wantAdd: []string{"CAP_CHOWN", "CAP_NET_ADMIN"}},
		{name: "update: dropping leaves the add list", curAdd: []string{"CAP_NET_ADMIN"}, dr: []string{"NET_ADMIN"},
			wantDrop: []string{"CAP_NET_ADMIN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, d := effectiveCaps(tc.curAdd, tc.curDrop, tc.add, tc.dr)
			if !reflect.DeepEqual(a, tc.wantAdd) || !reflect.DeepEqual(d, tc.wantDrop) {
				t.Fatalf("got add %v drop %v, want add %v drop %v", a, d, tc.wantAdd, tc.wantDrop)
			}
		})
	}
}

func TestKernelCreateAndUpdate(t *testing.T) {
	create := kernelOpts{sysctls: []string{"net.core.somaxconn=1024"}, ulimits: []string{"nofile=1024:2048"}, oomScoreAdj: 100}
	var cs swarm.ContainerSpec
	if err := create.applyCreate(&cs); err != nil {
		t.Fatal(err)
	}
	if cs.Sysctls["net.core.somaxconn"] != "1024" || cs.OomScoreAdj != 100 ||
		!reflect.DeepEqual(cs.Ulimits, []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}) {
		t.Fatalf("create: %+v", cs)
	}
	cs.DNSConfig = &swarm.DNSConfig{Options: []string{"ndots:2"}, Search: []string{"a.example"}}

	f := pflag.NewFlagSet("update", pflag.ContinueOnError)
	var u kernelOpts
	addKernelFlags(f, &u)
	addKernelUpdateFlags(f, &u)
	if err := f.Parse([]string{"--sysctl-rm", "net.core.somaxconn", "--sysctl-add", "net.ipv4.ip_forward=1",
		"--ulimit-add", "nofile=10:20", "--ulimit-add", "nproc=5", "--dns-option-add", "timeout:1",
		"--dns-option-rm", "ndots:2", "--dns-search-add", "b.example", "--oom-score-adj", "-5"}); err != nil {
		t.Fatal(err)
	}
	if err := u.applyUpdate(&cs, f); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cs.Sysctls, map[string]string{"net.ipv4.ip_forward": "1"}) {
		t.Errorf("sysctls %v", cs.Sysctls)
	}
	if !reflect.DeepEqual(cs.Ulimits, []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}, {Name: "nproc", Soft: 5, Hard: 5}}) {
		t.Errorf("ulimits %v %v", cs.Ulimits[0], cs.Ulimits[1])
	}
	if !reflect.DeepEqual(cs.DNSConfig.Options, []string{"timeout:1"}) || !reflect.DeepEqual(cs.DNSConfig.Search, []string{"a.example", "b.example"}) {
		t.Errorf("dns %+v", cs.DNSConfig)
	}
	if cs.OomScoreAdj != -5 {
		t.Errorf("oom %d", cs.OomScoreAdj)
	}

	bad := kernelOpts{sysctls: []string{"nokey"}}
	if err := bad.applyCreate(&swarm.ContainerSpec{}); err == nil {
		t.Error("sysctl without = accepted")
	}
	bad = kernelOpts{ulimits: []string{"nofile=x"}}
	if err := bad.applyCreate(&swarm.ContainerSpec{}); err == nil {
		t.Error("bad ulimit accepted")
	}
}
