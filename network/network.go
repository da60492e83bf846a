// Package network gives containers their network: the default bridge
// (berth0), IP allocation, veth pairs into pre-created network namespaces,
// outbound NAT and published ports, all rules in our own nftables table.
// (CONTRACT STUB: exported API fixed; bodies to be written.)
package network

import (
	"context"
	"net/netip"

	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// Config configures the Manager (from daemon flags / daemon.json).
type Config struct {
	BridgeName string   // "berth0"; "none" disables the default bridge
	BridgeIP   string   // --bip, CIDR of the bridge address, default "172.30.0.1/16"
	MTU        int      // 0: 1500
	NftTable   string   // our nftables table name, "berth" by default
	DNS        []string // daemon --dns
	DB         *bolt.DB // IPAM and endpoint state, in our own buckets
}

// Manager owns the bridge, IPAM and firewall rules.
type Manager struct{ cfg Config }

// New ensures the bridge, the nftables table with NAT, and IP forwarding;
// idempotent across daemon restarts.
func New(ctx context.Context, cfg Config) (*Manager, error) { panic("contract stub") }

// AttachRequest connects a container to the default bridge.
type AttachRequest struct {
	ContainerID     string
	NetNSPath       string          // created with NewNetNS
	PortBindings    network.PortMap // -p; empty HostPort = ephemeral
	PublishAll      bool            // -P
	ExposedPorts    network.PortSet // image EXPOSE + --expose, for -P
	MacAddress      string
}

// Endpoint is the result of Attach.
type Endpoint struct {
	IP          netip.Prefix // container address with prefix length
	Gateway     netip.Addr
	MacAddress  string
	HostVeth    string
	Ports       network.PortMap // actual host bindings (ephemeral ports resolved)
}

// Attach creates a veth pair into the namespace, assigns an address and
// routes, and publishes ports. On error nothing is left behind.
func (m *Manager) Attach(ctx context.Context, req AttachRequest) (*Endpoint, error) {
	panic("contract stub")
}

// Detach removes everything Attach created for the container; idempotent.
func (m *Manager) Detach(ctx context.Context, containerID string) error { panic("contract stub") }

// Close releases in-memory resources (not rules; Shutdown does that).
func (m *Manager) Close() error { panic("contract stub") }

// NewNetNS creates an empty network namespace bind-mounted at path.
func NewNetNS(path string) error { panic("contract stub") }

// DeleteNetNS unmounts and removes a namespace created by NewNetNS.
func DeleteNetNS(path string) error { panic("contract stub") }
