package fake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/network"
)

// Networks is a fake network backend: the three pre-defined networks plus
// user networks, each with endpoints for containers of a Containers fake.
// IDs are derived from names and creation times are fixed so that outputs
// of two CLIs against it can be compared byte for byte.
type Networks struct {
	mu     sync.Mutex
	c      *Containers
	byID   map[string]*network.Inspect
	nextIP map[string]int
	// Created is stamped on every network.
	Created time.Time
	// LastCreate and LastConnect record the last requests as the backend
	// saw them (after the router's defaults and version rules).
	LastCreate  network.CreateRequest
	LastConnect network.ConnectRequest
}

// NetworkID is the ID the fake gives a network of that name.
func NetworkID(name string) string {
	sum := sha256.Sum256([]byte("net:" + name))
	return hex.EncodeToString(sum[:])
}

var predefined = map[string]string{"bridge": "bridge", "host": "host", "none": "null"}

// NewNetworks returns a backend with bridge, host and none; containers in
// c can be connected.
func NewNetworks(c *Containers) *Networks {
	f := &Networks{c: c, byID: map[string]*network.Inspect{}, nextIP: map[string]int{},
		Created: time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)}
	for name, driver := range predefined {
		nw := f.newNetwork(name, driver)
		if name == "bridge" {
			nw.IPAM.Config = []network.IPAMConfig{{Subnet: netip.MustParsePrefix("172.17.0.0/16"), Gateway: netip.MustParseAddr("172.17.0.1")}}
			nw.Options = map[string]string{"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0"}
		}
		f.byID[nw.ID] = nw
	}
	return f
}

func (f *Networks) newNetwork(name, driver string) *network.Inspect {
	return &network.Inspect{Network: network.Network{
		Name: name, ID: NetworkID(name), Created: f.Created, Scope: "local", Driver: driver,
		EnableIPv4: true, IPAM: network.IPAM{Driver: "default", Config: []network.IPAMConfig{}},
		Options: map[string]string{}, Labels: map[string]string{},
	}, Containers: map[string]network.EndpointResource{}}
}

// find resolves like Docker: full ID, then unique full name, then unique
// ID prefix.
func (f *Networks) find(term string) (*network.Inspect, error) {
	var byName, byPrefix []*network.Inspect
	for _, nw := range f.byID {
		if nw.ID == term {
			return nw, nil
		}
		if nw.Name == term {
			byName = append(byName, nw)
		}
		if strings.HasPrefix(nw.ID, term) {
			byPrefix = append(byPrefix, nw)
		}
	}
	switch {
	case len(byName) == 1:
		return byName[0], nil
	case len(byName) > 1:
		return nil, errdefs.InvalidParameter("network %s is ambiguous (%d matches found based on name)", term, len(byName))
	case len(byPrefix) == 1:
		return byPrefix[0], nil
	case len(byPrefix) > 1:
		return nil, errdefs.InvalidParameter("network %s is ambiguous (%d matches found based on ID prefix)", term, len(byPrefix))
	}
	return nil, errdefs.NotFound("network %s not found", term)
}

func (f *Networks) NetworkList(ctx context.Context, fl filters.Args) ([]network.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dangling, hasDangling, err := fl.GetBool("dangling")
	if err != nil {
		return nil, err
	}
	var out []network.Summary
	for _, nw := range f.byID {
		_, builtin := predefined[nw.Name]
		typ := "custom"
		if builtin {
			typ = "builtin"
		}
		if !fl.ExactMatch("driver", nw.Driver) || !fl.FuzzyMatch("id", nw.ID) || !fl.Match("name", nw.Name) ||
			!fl.ExactMatch("scope", nw.Scope) || !fl.ExactMatch("type", typ) || !fl.MatchKVList("label", nw.Labels) {
			continue
		}
		if hasDangling && dangling != (!builtin && len(nw.Containers) == 0) {
			continue
		}
		s := network.Summary{Network: nw.Network}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *Networks) NetworkInspect(ctx context.Context, term string, verbose bool, scope string) (network.Inspect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	nw, err := f.find(term)
	if err != nil {
		return network.Inspect{}, err
	}
	if scope != "" && scope != nw.Scope {
		return network.Inspect{}, errdefs.NotFound("network %s not found", term)
	}
	out := *nw
	out.Status = &network.Status{IPAM: network.IPAMStatus{Subnets: network.SubnetStatuses{}}}
	for _, c := range nw.IPAM.Config {
		used := uint64(3 + len(nw.Containers))
		free := uint64(1<<64 - 1) // saturates, like Docker, for big IPv6 subnets
		if hostBits := c.Subnet.Addr().BitLen() - c.Subnet.Bits(); hostBits < 64 {
			free = 1<<hostBits - used
		}
		out.Status.IPAM.Subnets[c.Subnet] = network.SubnetStatus{IPsInUse: used, DynamicIPsAvailable: free}
	}
	return out, nil
}

func (f *Networks) NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.LastCreate = req
	if _, ok := predefined[req.Name]; ok {
		return network.CreateResponse{}, errdefs.Forbidden("operation is not permitted on predefined %s network ", req.Name)
	}
	for _, nw := range f.byID {
		if nw.Name == req.Name {
			return network.CreateResponse{}, errdefs.Conflict("network with name %s already exists", req.Name)
		}
	}
	nw := f.newNetwork(req.Name, req.Driver)
	if req.Scope != "" {
		nw.Scope = req.Scope
	}
	nw.Internal, nw.Attachable, nw.ConfigOnly = req.Internal, req.Attachable, req.ConfigOnly
	if req.EnableIPv6 != nil {
		nw.EnableIPv6 = *req.EnableIPv6
	}
	if req.EnableIPv4 != nil {
		nw.EnableIPv4 = *req.EnableIPv4
	}
	if req.ConfigFrom != nil {
		nw.ConfigFrom = *req.ConfigFrom
	}
	for k, v := range req.Options {
		nw.Options[k] = v
	}
	for k, v := range req.Labels {
		nw.Labels[k] = v
	}
	if req.IPAM != nil {
		if req.IPAM.Driver != "" {
			nw.IPAM.Driver = req.IPAM.Driver
		}
		nw.IPAM.Options = req.IPAM.Options
		nw.IPAM.Config = append(nw.IPAM.Config, req.IPAM.Config...)
	}
	for i, c := range nw.IPAM.Config {
		if c.Gateway.IsValid() && !c.Subnet.Contains(c.Gateway) {
			return network.CreateResponse{}, errdefs.InvalidParameter("invalid network config:\ninvalid gateway %s: parent subnet %s doesn't contain this address", c.Gateway, c.Subnet)
		}
		if !c.Gateway.IsValid() && c.Subnet.IsValid() {
			nw.IPAM.Config[i].Gateway = c.Subnet.Masked().Addr().Next()
		}
	}
	if len(nw.IPAM.Config) == 0 && nw.EnableIPv4 {
		n := len(f.byID) + 15 // 172.18.0.0/16 for the first user network, like Docker
		sub := netip.MustParsePrefix(fmt.Sprintf("172.%d.0.0/16", n))
		nw.IPAM.Config = []network.IPAMConfig{{Subnet: sub, Gateway: sub.Addr().Next()}}
	}
	f.byID[nw.ID] = nw
	return network.CreateResponse{ID: nw.ID}, nil
}

func (f *Networks) NetworkRemove(ctx context.Context, term string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	nw, err := f.find(term)
	if err != nil {
		return err
	}
	if _, ok := predefined[nw.Name]; ok {
		return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", nw.Name)
	}
	if len(nw.Containers) > 0 {
		var names []string
		for _, ep := range nw.Containers {
			names = append(names, ep.Name)
		}
		sort.Strings(names)
		return errdefs.Forbidden("error while removing network: network %s has active endpoints (%s)", nw.Name, strings.Join(names, ", "))
	}
	delete(f.byID, nw.ID)
	return nil
}

func (f *Networks) NetworkConnect(ctx context.Context, term string, req network.ConnectRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.LastConnect = req
	nw, err := f.find(term)
	if err != nil {
		return err
	}
	f.c.mu.Lock()
	c, err := f.c.get(req.Container)
	f.c.mu.Unlock()
	if err != nil {
		return err
	}
	if _, ok := nw.Containers[c.ID]; ok {
		return errdefs.Forbidden("endpoint with name %s already exists in network %s", c.Name, nw.Name)
	}
	ep := network.EndpointResource{Name: c.Name, EndpointID: NetworkID("ep:" + c.ID + nw.ID)}
	if len(nw.IPAM.Config) > 0 && nw.IPAM.Config[0].Subnet.Addr().Is4() {
		sub := nw.IPAM.Config[0].Subnet
		var addr netip.Addr
		if req.EndpointConfig != nil && req.EndpointConfig.IPAMConfig != nil && req.EndpointConfig.IPAMConfig.IPv4Address.IsValid() {
			addr = req.EndpointConfig.IPAMConfig.IPv4Address
			if !sub.Contains(addr) {
				return errdefs.InvalidParameter("invalid endpoint settings:\nno configured subnet contains IP address %s", addr)
			}
		} else {
			// Sequential from the start of the subnet, skipping the gateway.
			addr = sub.Masked().Addr()
			for range f.nextIP[nw.ID] + 1 {
				if addr = addr.Next(); addr == nw.IPAM.Config[0].Gateway {
					addr = addr.Next()
				}
			}
			f.nextIP[nw.ID]++
		}
		ep.IPv4Address = netip.PrefixFrom(addr, sub.Bits())
		a4 := addr.As4()
		ep.MacAddress = network.HardwareAddr{0x02, 0x42, a4[0], a4[1], a4[2], a4[3]}
	}
	nw.Containers[c.ID] = ep
	return nil
}

func (f *Networks) NetworkDisconnect(ctx context.Context, term string, req network.DisconnectRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	nw, err := f.find(term)
	if err != nil {
		return err
	}
	f.c.mu.Lock()
	c, err := f.c.get(req.Container)
	f.c.mu.Unlock()
	if err != nil {
		if !req.Force {
			return err
		}
		// Force removes an endpoint whose container is gone.
		for id, ep := range nw.Containers {
			if ep.Name == req.Container {
				delete(nw.Containers, id)
				return nil
			}
		}
		return err
	}
	if _, ok := nw.Containers[c.ID]; !ok {
		return errdefs.Forbidden("container %s is not connected to network %s", c.ID, nw.Name)
	}
	delete(nw.Containers, c.ID)
	return nil
}

func (f *Networks) NetworksPrune(ctx context.Context, fl filters.Args) (network.PruneReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var until time.Time
	if v := fl.Get("until"); len(v) == 1 {
		if d, err := time.ParseDuration(v[0]); err == nil {
			until = time.Now().Add(-d)
		} else if s, err := strconv.ParseInt(v[0], 10, 64); err == nil {
			until = time.Unix(s, 0)
		} else {
			return network.PruneReport{}, errdefs.InvalidParameter("failed to parse value as time or duration: %q", v[0])
		}
	}
	var rep network.PruneReport
	var names []string
	for _, nw := range f.byID {
		if _, ok := predefined[nw.Name]; ok || len(nw.Containers) > 0 {
			continue
		}
		if !until.IsZero() && !nw.Created.Before(until) {
			continue
		}
		if !fl.MatchKVList("label", nw.Labels) || !notLabels(fl, nw.Labels) {
			continue
		}
		names = append(names, nw.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		delete(f.byID, NetworkID(n))
		rep.NetworksDeleted = append(rep.NetworksDeleted, n)
	}
	return rep, nil
}

// notLabels applies "label!" terms: a network carrying any of them stays.
func notLabels(fl filters.Args, labels map[string]string) bool {
	for _, term := range fl.Get("label!") {
		k, v, hasV := strings.Cut(term, "=")
		if cur, ok := labels[k]; ok && (!hasV || cur == v) {
			return false
		}
	}
	return true
}
