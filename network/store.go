package network

import (
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Endpoints are persisted in bucket "network.endpoints" under
// "<container ID>/<network ID>" (JSON endpointRecord), so the daemon can
// report NetworkSettings, rebuild the rules and re-reserve the host ports
// after a restart. Records written before multi-network support are keyed by
// the bare container ID with Network "bridge"; loadEndpoints rewrites them.
var endpointBucket = []byte("network.endpoints")

type endpointRecord struct {
	ContainerID   string        `json:"containerId"`
	ContainerName string        `json:"containerName,omitempty"`
	Network       string        `json:"network"` // network ID ("bridge" in old records)
	EndpointID    string        `json:"endpointId,omitempty"`
	NetNSPath     string        `json:"netnsPath"`
	IfName        string        `json:"ifName,omitempty"`
	IP            netip.Prefix  `json:"ip"`
	Gateway       netip.Addr    `json:"gateway"`
	IP6           netip.Prefix  `json:"ip6,omitzero"`
	Gateway6      netip.Addr    `json:"gateway6,omitzero"`
	MacAddress    string        `json:"macAddress"`
	HostVeth      string        `json:"hostVeth"`
	Aliases       []string      `json:"aliases,omitempty"`
	Ports         []portMapping `json:"ports,omitempty"`
	Exposed       []string      `json:"exposed,omitempty"` // "80/tcp", reported unbound when not published
	Seq           int64         `json:"seq,omitempty"`     // attach order
}

type epKey struct{ ctr, net string }

func (r *endpointRecord) key() epKey { return epKey{r.ContainerID, r.Network} }

func (k epKey) bytes() []byte { return []byte(k.ctr + "/" + k.net) }

func putEndpoint(tx *bolt.Tx, r *endpointRecord) error {
	b, err := tx.CreateBucketIfNotExists(endpointBucket)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(r.key().bytes(), data)
}

func deleteEndpoint(tx *bolt.Tx, k epKey) error {
	if b := tx.Bucket(endpointBucket); b != nil {
		return b.Delete(k.bytes())
	}
	return nil
}

// loadEndpoints reads every endpoint. defID is the default bridge's network
// ID: old records (bare container ID key, Network "bridge") are moved to
// the new key.
func loadEndpoints(db *bolt.DB, defID string) (map[epKey]*endpointRecord, error) {
	out := map[epKey]*endpointRecord{}
	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(endpointBucket)
		if b == nil {
			return nil
		}
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r endpointRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return nil // a corrupt record must not keep the daemon from starting
			}
			if !strings.Contains(string(k), "/") {
				old = append(old, append([]byte(nil), k...))
				if r.Network == DefaultNetworkName {
					r.Network = defID
				}
			}
			if r.IfName == "" {
				r.IfName = "eth0"
			}
			out[r.key()] = &r
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
			if r := out[epKey{string(k), defID}]; r != nil {
				if err := putEndpoint(tx, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// Networks are persisted in bucket "network.networks" (ID -> JSON
// netRecord), the predefined ones ("bridge", "host", "none") too so their
// IDs stay the same across restarts, as Docker's do.
var networkBucket = []byte("network.networks")

type netRecord struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Driver     string            `json:"driver"`
	Created    time.Time         `json:"created"`
	Options    map[string]string `json:"options,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	IPAM       []IPAMConfig      `json:"ipam,omitempty"`
	UserSubnet bool              `json:"userSubnet,omitempty"` // --subnet given: --ip allowed
	IPv6       bool              `json:"ipv6,omitempty"`
	Internal   bool              `json:"internal,omitempty"`
	Attachable bool              `json:"attachable,omitempty"`
	Predefined bool              `json:"predefined,omitempty"`
	// Overlay: created with driver overlay (swarm); a bridge on this node.
	Overlay bool `json:"overlay,omitempty"`
	// VNI and VXLANPort: the overlay's VXLAN segment between nodes.
	VNI       uint32 `json:"vni,omitempty"`
	VXLANPort int    `json:"vxlanPort,omitempty"`
	// Iface is the bridge device, or for macvlan/ipvlan the parent.
	Iface string `json:"iface,omitempty"`
	// CreatedParent: the 802.1q parent (eth0.50) was created by us and
	// goes away with the network.
	CreatedParent bool `json:"createdParent,omitempty"`
	// ExistingBridge: -o com.docker.network.bridge.name named a bridge that
	// existed before; it is adopted and never deleted.
	ExistingBridge bool `json:"existingBridge,omitempty"`
}

func putNetwork(tx *bolt.Tx, r *netRecord) error {
	b, err := tx.CreateBucketIfNotExists(networkBucket)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ID), data)
}

func deleteNetwork(tx *bolt.Tx, id string) error {
	if b := tx.Bucket(networkBucket); b != nil {
		return b.Delete([]byte(id))
	}
	return nil
}

func loadNetworks(db *bolt.DB) ([]*netRecord, error) {
	var out []*netRecord
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(networkBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r netRecord
			if err := json.Unmarshal(v, &r); err == nil {
				out = append(out, &r)
			}
			return nil
		})
	})
	return out, err
}

// Links (--link with --icc=false) are persisted in bucket "network.links"
// as "<from>/<to>" keys, so a daemon restart keeps the exceptions.
var linkBucket = []byte("network.links")

func loadLinks(db *bolt.DB) (map[[2]string]bool, error) {
	out := map[[2]string]bool{}
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(linkBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			if a, c, ok := strings.Cut(string(k), "/"); ok {
				out[[2]string{a, c}] = true
			}
			return nil
		})
	})
	return out, err
}
