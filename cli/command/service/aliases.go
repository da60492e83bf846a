package service

import (
	"net/netip"

	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/moby/moby/api/types/mount"
)

type (
	mountT    = mount.Mount
	netipAddr = netip.Addr
)

var swarmLabels = swarmutil.Labels
