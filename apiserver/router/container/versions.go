package container

import (
	"context"
	"net/netip"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// adaptCreateToVersion gives a create request from an older client the
// meaning it had at that client's API version, as dockerd's router does.
func adaptCreateToVersion(ctx context.Context, req *container.CreateRequest) {
	hc := req.HostConfig
	if hc == nil {
		return
	}
	if !httputils.VersionAtLeast(ctx, "1.25") {
		// Up to 1.24 the client removed the container itself.
		hc.AutoRemove = false
	}
	if !httputils.VersionAtLeast(ctx, "1.40") && hc.IpcMode.IsEmpty() {
		// Clients before 1.40 expect the old daemon default.
		hc.IpcMode = container.IPCModeShareable
	}
}

// adaptUpdateToVersion drops what an update request could not carry at
// the client's version, as dockerd's router does.
func adaptUpdateToVersion(ctx context.Context, cfg *container.UpdateConfig) {
	if !httputils.VersionAtLeast(ctx, "1.40") {
		cfg.PidsLimit = nil // added to update in API 1.40
	}
	if !httputils.VersionAtLeast(ctx, "1.55") {
		// Accepted but ignored before 1.55; nil leaves the rules as they are.
		cfg.BlkioWeightDevice = nil
		cfg.BlkioDeviceReadBps, cfg.BlkioDeviceWriteBps = nil, nil
		cfg.BlkioDeviceReadIOps, cfg.BlkioDeviceWriteIOps = nil, nil
	}
}

// legacyNetworkSettings is NetworkSettings as API versions before 1.52
// give it: the fields deprecated in 1.21 are still there, filled from the
// container's endpoint on the default "bridge" network (empty elsewhere),
// so that `--format '{{.NetworkSettings.IPAddress}}'` of the tutorials
// works with docker CLI 28.
type legacyNetworkSettings struct {
	Bridge                 string
	SandboxID              string
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	Ports                  network.PortMap
	SandboxKey             string
	SecondaryIPAddresses   []legacyAddress
	SecondaryIPv6Addresses []legacyAddress
	EndpointID             string
	Gateway                string
	GlobalIPv6Address      string
	GlobalIPv6PrefixLen    int
	IPAddress              string
	IPPrefixLen            int
	IPv6Gateway            string
	MacAddress             string
	Networks               map[string]*network.EndpointSettings
}

// legacyAddress is an entry of the (always null) secondary address lists.
type legacyAddress struct {
	Addr      string
	PrefixLen int
}

// legacyInspect replaces the inspect body's NetworkSettings (the outer
// field wins over the embedded one in encoding/json).
type legacyInspect struct {
	*container.InspectResponse
	NetworkSettings *legacyNetworkSettings
}

// inspectForVersion returns the inspect body for the request's version.
func inspectForVersion(ctx context.Context, resp *container.InspectResponse) any {
	if httputils.VersionAtLeast(ctx, "1.52") || resp.NetworkSettings == nil {
		return resp
	}
	ns := resp.NetworkSettings
	l := &legacyNetworkSettings{SandboxID: ns.SandboxID, SandboxKey: ns.SandboxKey, Ports: ns.Ports, Networks: ns.Networks}
	if ep := ns.Networks[network.NetworkBridge]; ep != nil {
		l.EndpointID, l.Gateway, l.MacAddress = ep.EndpointID, addrString(ep.Gateway), ep.MacAddress.String()
		l.IPAddress, l.IPPrefixLen = addrString(ep.IPAddress), ep.IPPrefixLen
		l.GlobalIPv6Address, l.GlobalIPv6PrefixLen = addrString(ep.GlobalIPv6Address), ep.GlobalIPv6PrefixLen
		l.IPv6Gateway = addrString(ep.IPv6Gateway)
	}
	return legacyInspect{InspectResponse: resp, NetworkSettings: l}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
