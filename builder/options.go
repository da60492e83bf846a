package builder

import (
	"github.com/moby/moby/api/types/container"
)

// Options are the query parameters of POST /build that the builder uses.
type Options struct {
	Tags         []string
	Dockerfile   string // path inside the context ("" = Dockerfile)
	Remote       string // remote context: git URL (url#ref:subdir) or http(s) URL
	BuildArgs    map[string]*string
	Labels       map[string]string
	Target       string
	NoCache      bool
	Pull         bool
	Quiet        bool
	Remove       bool // rm: remove intermediate containers after a successful step
	ForceRemove  bool // forcerm: always remove them
	CacheFrom    []string
	NetworkMode  string
	ExtraHosts   []string
	ShmSize      int64
	Memory       int64
	MemorySwap   int64
	CPUSetCPUs   string
	CPUSetMems   string
	CPUShares    int64
	CPUQuota     int64
	CPUPeriod    int64
	CgroupParent string
	Ulimits      []*container.Ulimit
	SecurityOpt  []string
	Platform     string
	Squash       bool
}

// hostConfig is the host config of every build container: no log driver
// (output goes to the build stream) and the resources asked for.
func (o *Options) hostConfig() *container.HostConfig {
	mode := o.NetworkMode
	if mode == "" || mode == "default" {
		mode = "bridge"
	}
	return &container.HostConfig{
		NetworkMode: container.NetworkMode(mode),
		ExtraHosts:  o.ExtraHosts,
		ShmSize:     o.ShmSize,
		SecurityOpt: o.SecurityOpt,
		LogConfig:   container.LogConfig{Type: "none"},
		Resources: container.Resources{
			Memory:       o.Memory,
			MemorySwap:   o.MemorySwap,
			CpusetCpus:   o.CPUSetCPUs,
			CpusetMems:   o.CPUSetMems,
			CPUShares:    o.CPUShares,
			CPUQuota:     o.CPUQuota,
			CPUPeriod:    o.CPUPeriod,
			CgroupParent: o.CgroupParent,
			Ulimits:      o.Ulimits,
		},
	}
}
