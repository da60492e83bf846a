package network

import (
	"net/netip"
	"time"

	"github.com/moby/moby/api/types/network"
)

// CreateOptions are the options of POST /networks/create.
type CreateOptions struct {
	Name string
	// Driver is "" or "bridge", "macvlan" or "ipvlan"; anything else is
	// Docker's `plugin "x" not found` (NotFound).
	Driver string
	// Options are -o values: com.docker.network.bridge.name,
	// com.docker.network.bridge.enable_icc,
	// com.docker.network.bridge.enable_ip_masquerade,
	// com.docker.network.driver.mtu; macvlan: parent, macvlan_mode;
	// ipvlan: parent, ipvlan_mode (l2|l3).
	Options map[string]string
	Labels  map[string]string
	// IPAM empty: a free subnet from the default address pools.
	IPAM       []IPAMConfig
	EnableIPv6 bool
	Internal   bool
	Attachable bool
	// ID, VNI and VXLANPort: a swarm overlay network (Driver "overlay")
	// made on this node for its tasks; the ID is the cluster's.
	ID        string
	VNI       uint32
	VXLANPort int
}

// IPAMConfig is one subnet of a network, as in Docker's IPAM.Config.
type IPAMConfig struct {
	Subnet, IPRange, Gateway string
	AuxAddress               map[string]string
}

// Network is the read model for `network ls` and `network inspect`.
type Network struct {
	ID, Name, Driver, Scope                      string // Scope is "local"
	Created                                      time.Time
	EnableIPv4, EnableIPv6, Internal, Attachable bool
	Options, Labels                              map[string]string
	IPAM                                         []IPAMConfig
	Endpoints                                    map[string]EndpointInfo // container ID -> endpoint
}

// EndpointInfo is one container of a network in inspect; addresses are in
// CIDR form like Docker's.
type EndpointInfo struct {
	Name, EndpointID, MacAddress, IPv4Address, IPv6Address string
}

// AttachRequest connects a container to one network. It is called once per
// network when a container starts, and by `network connect` for a running
// container.
type AttachRequest struct {
	ContainerID   string
	ContainerName string // without the leading "/"
	Network       string // name or ID; "" is the default bridge
	NetNSPath     string // created with NewNetNS
	IfName        string // "" picks the next free ethN (eth0 first)
	// IPv4/IPv6 are --ip/--ip6: only on user networks with a user
	// configured subnet; must be inside it and free.
	IPv4, IPv6 netip.Addr
	MacAddress string
	// Aliases are DNS names besides the container name.
	Aliases []string
	// Port publishing; only passed for the container's first network.
	PortBindings network.PortMap // -p; empty HostPort = ephemeral
	PublishAll   bool            // -P
	ExposedPorts network.PortSet // image EXPOSE + --expose, for -P
}

// Endpoint is a container's connection to one network.
type Endpoint struct {
	IP         netip.Prefix // IPv4 address with prefix length
	Gateway    netip.Addr   // zero on internal networks
	MacAddress string
	HostVeth   string          // "" for macvlan/ipvlan
	Ports      network.PortMap // actual host bindings (ephemeral ports resolved)

	NetworkID, NetworkName, EndpointID, IfName string
	IPv6                                       netip.Prefix
	Gateway6                                   netip.Addr
	Aliases                                    []string
}
