package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// wantedPort is one requested binding before host ports are resolved.
type wantedPort struct {
	proto  string
	ctr    uint16
	hostIP netip.Addr
	lo, hi uint16 // 0,0: ephemeral
}

// wantedPorts flattens -p and -P into a deterministic list.
func wantedPorts(req AttachRequest) ([]wantedPort, error) {
	var out []wantedPort
	add := func(p network.Port, b network.PortBinding) error {
		proto := string(p.Proto())
		if proto != "tcp" && proto != "udp" {
			return errdefs.NotImplemented("publishing %s ports is not supported yet", proto)
		}
		hip := b.HostIP
		if hip.IsValid() && hip.Is4In6() {
			hip = hip.Unmap()
		}
		if hip.IsValid() && hip.IsUnspecified() && hip.Is4() {
			hip = netip.Addr{} // 0.0.0.0 is "all addresses"
		}
		if hip.IsValid() && !hip.Is4() {
			return errdefs.NotImplemented("publishing on IPv6 host address %s is not supported yet", hip)
		}
		lo, hi, err := parseHostPort(b.HostPort)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		out = append(out, wantedPort{proto: proto, ctr: p.Num(), hostIP: hip, lo: lo, hi: hi})
		return nil
	}
	keys := make([]network.Port, 0, len(req.PortBindings)+len(req.ExposedPorts))
	for p := range req.PortBindings {
		keys = append(keys, p)
	}
	if req.PublishAll {
		for p := range req.ExposedPorts {
			if _, ok := req.PortBindings[p]; !ok {
				keys = append(keys, p)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Num() != keys[j].Num() {
			return keys[i].Num() < keys[j].Num()
		}
		return keys[i].Proto() < keys[j].Proto()
	})
	for _, p := range keys {
		bindings, ok := req.PortBindings[p]
		if !ok || len(bindings) == 0 {
			bindings = []network.PortBinding{{}} // -P, or -p CONT
		}
		for _, b := range bindings {
			if err := add(p, b); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Attach creates a veth pair into the namespace, assigns an address and
// routes, and publishes ports. On error nothing is left behind.
//
// Attaching a container that already has an endpoint replaces it (a
// record left by a crash must not block the next start).
func (m *Manager) Attach(ctx context.Context, req AttachRequest) (_ *Endpoint, retErr error) {
	if req.ContainerID == "" || req.NetNSPath == "" {
		return nil, errdefs.InvalidParameter("network attach: container ID and netns path are required")
	}
	if m.def == nil {
		return nil, errdefs.InvalidParameter("the default bridge network is disabled (--bridge=none)")
	}
	if req.MacAddress != "" {
		if _, err := net.ParseMAC(req.MacAddress); err != nil {
			return nil, errdefs.InvalidParameter("invalid MAC address: %s", req.MacAddress)
		}
	}
	wanted, err := wantedPorts(req)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.eps[req.ContainerID]; ok {
		if err := m.detachLocked(ctx, req.ContainerID); err != nil {
			return nil, err
		}
	}
	n := m.def
	ep := &endpointRecord{
		ContainerID: req.ContainerID,
		Network:     n.name,
		NetNSPath:   req.NetNSPath,
		Gateway:     n.gateway,
		HostVeth:    hostVethName(req.ContainerID),
	}
	for p := range req.ExposedPorts {
		ep.Exposed = append(ep.Exposed, p.String())
	}
	sort.Strings(ep.Exposed)

	// 1. Host ports: cheapest to fail on, so first.
	defer func() {
		if retErr != nil {
			for _, p := range ep.Ports {
				m.ports.release(p.Proto, p.HostIP, p.HostPort)
			}
		}
	}()
	for _, w := range wanted {
		ctr := fmt.Sprintf("%d/%s", w.ctr, w.proto)
		hp, err := m.ports.reserve(w.proto, w.hostIP, w.lo, w.hi, ctr)
		if err != nil {
			return nil, err
		}
		ep.Ports = append(ep.Ports, portMapping{Proto: w.proto, HostIP: w.hostIP, HostPort: hp, CtrPort: w.ctr})
	}

	// 2. Address and record, in one database transaction (one fsync).
	err = m.cfg.DB.Update(func(tx *bolt.Tx) error {
		ip, err := ipamAllocate(tx, n.name, n.subnet, n.gateway, req.ContainerID)
		if err != nil {
			return err
		}
		ep.IP = netip.PrefixFrom(ip, n.subnet.Bits())
		ep.MacAddress = req.MacAddress
		if ep.MacAddress == "" {
			ep.MacAddress = macFromIP(ip)
		}
		return putEndpoint(tx, ep)
	})
	if err != nil {
		return nil, fmt.Errorf("network attach %s: %w", req.ContainerID, err)
	}
	m.eps[ep.ContainerID] = ep
	defer func() {
		if retErr != nil {
			delete(m.eps, ep.ContainerID)
			_ = m.cfg.DB.Update(func(tx *bolt.Tx) error {
				return errors.Join(ipamRelease(tx, n.name, ep.IP.Addr(), ep.ContainerID), deleteEndpoint(tx, ep.ContainerID))
			})
		}
	}()

	// 3. Devices.
	if err := n.drv.Join(ctx, ep); err != nil {
		_ = n.drv.Leave(ctx, ep)
		return nil, err
	}

	// 4. Rules: one transaction, only when something is published.
	if err := nftApply(ctx, renderPortDelta(m.cfg.NftTable, dnatEntries(ep), true)); err != nil {
		_ = n.drv.Leave(ctx, ep)
		return nil, fmt.Errorf("publish ports: %w", err)
	}
	return ep.public(), nil
}

// DetachAll removes every endpoint of the container; idempotent.
func (m *Manager) DetachAll(ctx context.Context, containerID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.detachLocked(ctx, containerID)
}

func (m *Manager) detachLocked(ctx context.Context, containerID string) error {
	ep, ok := m.eps[containerID]
	if !ok {
		return nil
	}
	if n := m.network(ep.Network); n != nil {
		if err := n.drv.Leave(ctx, ep); err != nil {
			return err
		}
	}
	if len(ep.Ports) > 0 {
		if err := nftApply(ctx, renderPortDelta(m.cfg.NftTable, dnatEntries(ep), false)); err != nil {
			// Out of step with the kernel (table flushed by hand?):
			// rebuild the whole table without this endpoint.
			delete(m.eps, containerID)
			if err := m.syncTable(ctx); err != nil {
				m.eps[containerID] = ep
				return fmt.Errorf("unpublish ports: %w", err)
			}
		}
	}
	err := m.cfg.DB.Update(func(tx *bolt.Tx) error {
		return errors.Join(ipamRelease(tx, ep.Network, ep.IP.Addr(), ep.ContainerID), deleteEndpoint(tx, ep.ContainerID))
	})
	if err != nil {
		return fmt.Errorf("network detach %s: %w", containerID, err)
	}
	for _, p := range ep.Ports {
		m.ports.release(p.Proto, p.HostIP, p.HostPort)
	}
	delete(m.eps, containerID)
	return nil
}
