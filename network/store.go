package network

import (
	"encoding/json"
	"net/netip"

	bolt "go.etcd.io/bbolt"
)

// Endpoints are persisted in bucket "network.endpoints" (container ID ->
// JSON endpointRecord) so the daemon can report NetworkSettings, rebuild
// the rules and re-reserve the host ports after a restart.
var endpointBucket = []byte("network.endpoints")

type endpointRecord struct {
	ContainerID string        `json:"containerId"`
	Network     string        `json:"network"`
	NetNSPath   string        `json:"netnsPath"`
	IP          netip.Prefix  `json:"ip"`
	Gateway     netip.Addr    `json:"gateway"`
	MacAddress  string        `json:"macAddress"`
	HostVeth    string        `json:"hostVeth"`
	Ports       []portMapping `json:"ports,omitempty"`
	Exposed     []string      `json:"exposed,omitempty"` // "80/tcp", reported unbound when not published
}

func putEndpoint(tx *bolt.Tx, r *endpointRecord) error {
	b, err := tx.CreateBucketIfNotExists(endpointBucket)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ContainerID), data)
}

func deleteEndpoint(tx *bolt.Tx, id string) error {
	if b := tx.Bucket(endpointBucket); b != nil {
		return b.Delete([]byte(id))
	}
	return nil
}

func loadEndpoints(db *bolt.DB) (map[string]*endpointRecord, error) {
	out := map[string]*endpointRecord{}
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(endpointBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r endpointRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return nil // a corrupt record must not keep the daemon from starting
			}
			out[string(k)] = &r
			return nil
		})
	})
	return out, err
}
