package convert

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// SwarmFromGRPC converts the cluster object to GET /swarm's body.
//
// As in dockerd, CAConfig.SigningCACert and SigningCAKey are never
// returned: the key is secret, and a read-modify-write of the spec
// (docker swarm update) must not send back a cert without its key.
func SwarmFromGRPC(c *swarmapi.Cluster) types.Swarm {
	if c == nil {
		return types.Swarm{}
	}
	spec := c.Spec
	retention := spec.Orchestration.TaskHistoryRetentionLimit
	keepOld := spec.Raft.KeepOldSnapshots
	sw := types.Swarm{
		ClusterInfo: types.ClusterInfo{
			ID:   c.ID,
			Meta: metaFromGRPC(c.Meta),
			Spec: types.Spec{
				Annotations:   annotationsFromGRPC(spec.Annotations),
				Orchestration: types.OrchestrationConfig{TaskHistoryRetentionLimit: &retention},
				Raft: types.RaftConfig{
					SnapshotInterval:           spec.Raft.SnapshotInterval,
					KeepOldSnapshots:           &keepOld,
					LogEntriesForSlowFollowers: spec.Raft.LogEntriesForSlowFollowers,
					ElectionTick:               int(spec.Raft.ElectionTick),
					HeartbeatTick:              int(spec.Raft.HeartbeatTick),
				},
				Dispatcher: types.DispatcherConfig{HeartbeatPeriod: durationFromProto(spec.Dispatcher.HeartbeatPeriod)},
				CAConfig: types.CAConfig{
					NodeCertExpiry: durationFromProto(spec.CAConfig.NodeCertExpiry),
					ForceRotate:    spec.CAConfig.ForceRotate,
				},
				TaskDefaults:     types.TaskDefaults{LogDriver: driverFromGRPC(spec.TaskDefaults.LogDriver)},
				EncryptionConfig: types.EncryptionConfig{AutoLockManagers: spec.EncryptionConfig.AutoLockManagers},
			},
			TLSInfo:                types.TLSInfo{TrustRoot: string(c.RootCA.CACert)},
			RootRotationInProgress: c.RootCA.RootRotation != nil,
			SubnetSize:             c.SubnetSize,
			DataPathPort:           c.VXLANUDPPort,
		},
		JoinTokens: types.JoinTokens{
			Worker:  c.RootCA.JoinTokens.Worker,
			Manager: c.RootCA.JoinTokens.Manager,
		},
	}
	for _, ca := range spec.CAConfig.ExternalCAs {
		sw.Spec.CAConfig.ExternalCAs = append(sw.Spec.CAConfig.ExternalCAs, &types.ExternalCA{
			Protocol: types.ExternalCAProtocol(lowerEnum(ca.Protocol)),
			URL:      ca.URL,
			Options:  ca.Options,
			CACert:   string(ca.CACert),
		})
	}
	for _, p := range c.DefaultAddressPool {
		// Best effort, as dockerd: the pool was validated on init.
		pfx, _ := netip.ParsePrefix(p)
		sw.DefaultAddrPool = append(sw.DefaultAddrPool, pfx)
	}
	if subj, pub, ok := issuerInfo(&c.RootCA); ok {
		sw.TLSInfo.CertIssuerSubject = subj
		sw.TLSInfo.CertIssuerPublicKey = pub
	}
	return sw
}

// issuerInfo is the subject and public key of the certificate that issues
// node certificates: the new root while a rotation is in progress.
func issuerInfo(root *swarmapi.RootCA) (subject, publicKey []byte, ok bool) {
	raw := root.CACert
	if root.RootRotation != nil {
		raw = root.RootRotation.CACert
	}
	for len(raw) > 0 {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			return nil, nil, false
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, false
		}
		return cert.RawSubject, cert.RawSubjectPublicKeyInfo, true
	}
	return nil, nil, false
}

// SwarmSpecToGRPC converts a whole spec over an empty one. dockerd uses it
// for POST /swarm/update (the CLI sends back the full spec it read, so a
// field cleared there is cleared in the cluster) and MergeSwarmSpecToGRPC
// only on init, over swarmkit's defaults.
func SwarmSpecToGRPC(s types.Spec) (swarmapi.ClusterSpec, error) {
	return MergeSwarmSpecToGRPC(s, swarmapi.ClusterSpec{})
}

// MergeSwarmSpecToGRPC lays s over spec (the cluster's current spec, or
// swarmkit's defaults on init): a zero or nil field of s keeps the current
// value, so a partial spec changes only what it names. ForceRotate and
// AutoLockManagers are always taken from s, as dockerd does (false and 0
// are meaningful there). A non-empty ExternalCAs list replaces the current
// one (dockerd appends, which duplicates entries on every read-modify-write
// update).
func MergeSwarmSpecToGRPC(s types.Spec, spec swarmapi.ClusterSpec) (swarmapi.ClusterSpec, error) {
	if s.Name != "" {
		spec.Annotations.Name = s.Name
	}
	if len(s.Labels) != 0 {
		spec.Annotations.Labels = s.Labels
	}
	if s.Orchestration.TaskHistoryRetentionLimit != nil {
		spec.Orchestration.TaskHistoryRetentionLimit = *s.Orchestration.TaskHistoryRetentionLimit
	}
	if s.Raft.SnapshotInterval != 0 {
		spec.Raft.SnapshotInterval = s.Raft.SnapshotInterval
	}
	if s.Raft.KeepOldSnapshots != nil {
		spec.Raft.KeepOldSnapshots = *s.Raft.KeepOldSnapshots
	}
	if s.Raft.LogEntriesForSlowFollowers != 0 {
		spec.Raft.LogEntriesForSlowFollowers = s.Raft.LogEntriesForSlowFollowers
	}
	if s.Raft.HeartbeatTick != 0 {
		spec.Raft.HeartbeatTick = uint32(s.Raft.HeartbeatTick)
	}
	if s.Raft.ElectionTick != 0 {
		spec.Raft.ElectionTick = uint32(s.Raft.ElectionTick)
	}
	if s.Dispatcher.HeartbeatPeriod != 0 {
		spec.Dispatcher.HeartbeatPeriod = gogotypes.DurationProto(s.Dispatcher.HeartbeatPeriod)
	}
	if s.CAConfig.NodeCertExpiry != 0 {
		spec.CAConfig.NodeCertExpiry = gogotypes.DurationProto(s.CAConfig.NodeCertExpiry)
	}
	if s.CAConfig.SigningCACert != "" {
		spec.CAConfig.SigningCACert = []byte(s.CAConfig.SigningCACert)
	}
	if s.CAConfig.SigningCAKey != "" {
		spec.CAConfig.SigningCAKey = []byte(s.CAConfig.SigningCAKey)
	}
	spec.CAConfig.ForceRotate = s.CAConfig.ForceRotate
	if len(s.CAConfig.ExternalCAs) > 0 {
		cas := make([]*swarmapi.ExternalCA, 0, len(s.CAConfig.ExternalCAs))
		for _, ca := range s.CAConfig.ExternalCAs {
			if ca == nil {
				continue
			}
			proto, ok := swarmapi.ExternalCA_CAProtocol_value[strings.ToUpper(string(ca.Protocol))]
			if !ok {
				return swarmapi.ClusterSpec{}, errdefs.InvalidParameter("invalid protocol: %q", ca.Protocol)
			}
			cas = append(cas, &swarmapi.ExternalCA{
				Protocol: swarmapi.ExternalCA_CAProtocol(proto),
				URL:      ca.URL,
				Options:  ca.Options,
				CACert:   []byte(ca.CACert),
			})
		}
		spec.CAConfig.ExternalCAs = cas
	}
	if s.TaskDefaults.LogDriver != nil {
		spec.TaskDefaults.LogDriver = driverToGRPC(s.TaskDefaults.LogDriver)
	}
	spec.EncryptionConfig.AutoLockManagers = s.EncryptionConfig.AutoLockManagers
	return spec, nil
}
