package service

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/spf13/pflag"
)

// kernelOpts are the flags for the task container's capabilities,
// sysctls, ulimits and OOM score, and for how the image is resolved.
type kernelOpts struct {
	capAdd, capDrop                  []string
	sysctls, ulimits                 []string // create
	sysctlAdd, sysctlRm              []string // update
	ulimitAdd, ulimitRm              []string
	dnsOptAdd, dnsOptRm              []string
	dnsSearchAdd, dnsSearchRm        []string
	oomScoreAdj                      int64
	noResolveImage, withRegistryAuth bool
}

func addKernelFlags(f *pflag.FlagSet, k *kernelOpts) {
	f.StringArrayVar(&k.capAdd, "cap-add", nil, "Add Linux capabilities")
	f.StringArrayVar(&k.capDrop, "cap-drop", nil, "Drop Linux capabilities")
	f.Int64Var(&k.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	f.BoolVar(&k.noResolveImage, "no-resolve-image", false, "Do not query the registry to resolve image digest and supported platforms")
	f.BoolVar(&k.withRegistryAuth, "with-registry-auth", false, "Send registry authentication details to swarm agents")
}

func addKernelCreateFlags(f *pflag.FlagSet, k *kernelOpts) {
	f.StringArrayVar(&k.sysctls, "sysctl", nil, "Sysctl options")
	f.StringArrayVar(&k.ulimits, "ulimit", nil, "Ulimit options")
}

func addKernelUpdateFlags(f *pflag.FlagSet, k *kernelOpts) {
	f.StringArrayVar(&k.sysctlAdd, "sysctl-add", nil, "Add or update a Sysctl option")
	f.StringArrayVar(&k.sysctlRm, "sysctl-rm", nil, "Remove a Sysctl option")
	f.StringArrayVar(&k.ulimitAdd, "ulimit-add", nil, "Add or update a ulimit option")
	f.StringArrayVar(&k.ulimitRm, "ulimit-rm", nil, "Remove a ulimit option")
	f.StringArrayVar(&k.dnsOptAdd, "dns-option-add", nil, "Add or update a DNS option")
	f.StringArrayVar(&k.dnsOptRm, "dns-option-rm", nil, "Remove a DNS option")
	f.StringArrayVar(&k.dnsSearchAdd, "dns-search-add", nil, "Add or update a custom DNS search domain")
	f.StringArrayVar(&k.dnsSearchRm, "dns-search-rm", nil, "Remove a DNS search domain")
}

// applyCreate fills the container spec from create's flags.
func (k *kernelOpts) applyCreate(cs *swarm.ContainerSpec) error {
	cs.CapabilityAdd, cs.CapabilityDrop = effectiveCaps(nil, nil, k.capAdd, k.capDrop)
	cs.OomScoreAdj = k.oomScoreAdj
	sys, err := sysctlMap(k.sysctls)
	if err != nil {
		return err
	}
	if len(sys) > 0 {
		cs.Sysctls = sys
	}
	cs.Ulimits, err = ulimitList(nil, k.ulimits, nil)
	return err
}

// applyUpdate changes the container spec by update's flags only.
func (k *kernelOpts) applyUpdate(cs *swarm.ContainerSpec, f *pflag.FlagSet) error {
	if len(k.capAdd)+len(k.capDrop) > 0 {
		cs.CapabilityAdd, cs.CapabilityDrop = effectiveCaps(cs.CapabilityAdd, cs.CapabilityDrop, k.capAdd, k.capDrop)
	}
	if f.Changed("oom-score-adj") {
		cs.OomScoreAdj = k.oomScoreAdj
	}
	if _, err := sysctlMap(k.sysctlAdd); err != nil {
		return err
	}
	cs.Sysctls = editMap(cs.Sysctls, k.sysctlAdd, k.sysctlRm)
	if len(k.ulimitAdd)+len(k.ulimitRm) > 0 {
		u, err := ulimitList(cs.Ulimits, k.ulimitAdd, k.ulimitRm)
		if err != nil {
			return err
		}
		cs.Ulimits = u
	}
	if len(k.dnsOptAdd)+len(k.dnsOptRm)+len(k.dnsSearchAdd)+len(k.dnsSearchRm) > 0 {
		if cs.DNSConfig == nil {
			cs.DNSConfig = &swarm.DNSConfig{}
		}
		cs.DNSConfig.Options = editList(cs.DNSConfig.Options, k.dnsOptAdd, k.dnsOptRm)
		cs.DNSConfig.Search = editList(cs.DNSConfig.Search, k.dnsSearchAdd, k.dnsSearchRm)
	}
	return nil
}

// editList drops rm and appends the add entries it does not have yet.
func editList(cur, add, rm []string) []string {
	out := slices.DeleteFunc(slices.Clone(cur), func(s string) bool { return slices.Contains(rm, s) })
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

const allCaps = "ALL"

// normalizeCap writes a capability as the engine stores it: upper case
// with the CAP_ prefix ("net_admin" is CAP_NET_ADMIN), "ALL" as is.
func normalizeCap(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if c == allCaps || strings.HasPrefix(c, "CAP_") {
		return c
	}
	return "CAP_" + c
}

// effectiveCaps merges added and dropped capabilities into the current
// lists as docker does: ALL in a flag list stands for every other entry
// of it, a capability dropped now leaves the add list, and one added (now
// or before) never stays in the drop list — adding wins.
func effectiveCaps(curAdd, curDrop, add, drop []string) ([]string, []string) {
	flagAdd, flagDrop := capSet(add), capSet(drop)
	adds := capSet(curAdd)
	for c := range flagDrop {
		delete(adds, c)
	}
	for c := range flagAdd {
		adds[c] = true
	}
	if adds[allCaps] {
		adds = map[string]bool{allCaps: true}
	}
	drops := capSet(curDrop)
	for c := range flagDrop {
		drops[c] = true
	}
	if flagDrop[allCaps] {
		drops = map[string]bool{allCaps: true}
	}
	for c := range adds {
		delete(drops, c)
	}
	return sortedKeys(adds), sortedKeys(drops)
}

// capSet normalizes a list; ALL in it is all of it.
func capSet(caps []string) map[string]bool {
	m := map[string]bool{}
	for _, c := range caps {
		m[normalizeCap(c)] = true
	}
	if m[allCaps] {
		return map[string]bool{allCaps: true}
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sysctlMap(vals []string) (map[string]string, error) {
	for _, v := range vals {
		if _, err := opts.ValidateSysctl(v); err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--sysctl\" flag: %w", v, err)
		}
	}
	return opts.ConvertKVStringsToMap(vals), nil
}

// ulimitList replaces ulimits by name with add and drops the names in rm.
func ulimitList(cur []*container.Ulimit, add, rm []string) ([]*container.Ulimit, error) {
	parsed, err := opts.ParseUlimits(add)
	if err != nil {
		return nil, fmt.Errorf("invalid argument for \"--ulimit\" flag: %w", err)
	}
	out := slices.DeleteFunc(slices.Clone(cur), func(u *container.Ulimit) bool {
		return slices.Contains(rm, u.Name) || slices.ContainsFunc(parsed, func(p *container.Ulimit) bool { return p.Name == u.Name })
	})
	out = append(out, parsed...)
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
