package convert

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// SwarmFromGRPC converts the cluster object (GET /swarm).
func SwarmFromGRPC(c *api.Cluster) types.Swarm {
	s := c.Spec
	retention := s.Orchestration.TaskHistoryRetentionLimit
	keep := s.Raft.KeepOldSnapshots
	out := types.Swarm{
		ClusterInfo: types.ClusterInfo{
			ID:   c.ID,
			Meta: meta(c.Meta),
			Spec: types.Spec{
				Annotations:   annotations(s.Annotations),
				Orchestration: types.OrchestrationConfig{TaskHistoryRetentionLimit: &retention},
				Raft: types.RaftConfig{
					SnapshotInterval:           s.Raft.SnapshotInterval,
					KeepOldSnapshots:           &keep,
					LogEntriesForSlowFollowers: s.Raft.LogEntriesForSlowFollowers,
					ElectionTick:               int(s.Raft.ElectionTick),
					HeartbeatTick:              int(s.Raft.HeartbeatTick),
				},
				Dispatcher:       types.DispatcherConfig{HeartbeatPeriod: durationOf(s.Dispatcher.HeartbeatPeriod)},
				CAConfig:         types.CAConfig{NodeCertExpiry: durationOf(s.CAConfig.NodeCertExpiry), ForceRotate: s.CAConfig.ForceRotate, SigningCACert: string(s.CAConfig.SigningCACert)},
				TaskDefaults:     types.TaskDefaults{LogDriver: driver(s.TaskDefaults.LogDriver)},
				EncryptionConfig: types.EncryptionConfig{AutoLockManagers: s.EncryptionConfig.AutoLockManagers},
			},
			RootRotationInProgress: c.RootCA.RootRotation != nil,
			SubnetSize:             c.SubnetSize,
			DataPathPort:           c.VXLANUDPPort,
		},
		JoinTokens: types.JoinTokens{Worker: c.RootCA.JoinTokens.Worker, Manager: c.RootCA.JoinTokens.Manager},
	}
	for _, e := range s.CAConfig.ExternalCAs {
		out.Spec.CAConfig.ExternalCAs = append(out.Spec.CAConfig.ExternalCAs, &types.ExternalCA{
			Protocol: types.ExternalCAProtocol(strings.ToLower(e.Protocol.String())), URL: e.URL, Options: e.Options, CACert: string(e.CACert),
		})
	}
	for _, p := range c.DefaultAddressPool {
		if pf, err := netip.ParsePrefix(p); err == nil {
			out.DefaultAddrPool = append(out.DefaultAddrPool, pf)
		}
	}
	out.TLSInfo = tlsInfo(c.RootCA.CACert)
	return out
}

// tlsInfo describes the root CA as dockerd does: the PEM, the raw subject
// and public key of its certificate.
func tlsInfo(pemCert []byte) types.TLSInfo {
	info := types.TLSInfo{TrustRoot: string(pemCert)}
	if b, _ := pem.Decode(pemCert); b != nil {
		if cert, err := x509.ParseCertificate(b.Bytes); err == nil {
			info.CertIssuerSubject = cert.RawSubject
			info.CertIssuerPublicKey = cert.RawSubjectPublicKeyInfo
		}
	}
	return info
}

// MergeSwarmSpecToGRPC applies the fields set in s over spec, as
// `swarm init` and `swarm update` send them.
func MergeSwarmSpecToGRPC(s types.Spec, spec api.ClusterSpec) (api.ClusterSpec, error) {
	if s.Annotations.Name != "" {
		spec.Annotations.Name = s.Annotations.Name
	}
	if len(s.Annotations.Labels) != 0 {
		spec.Annotations.Labels = s.Annotations.Labels
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
	if s.Raft.ElectionTick != 0 {
		spec.Raft.ElectionTick = uint32(s.Raft.ElectionTick)
	}
	if s.Raft.HeartbeatTick != 0 {
		spec.Raft.HeartbeatTick = uint32(s.Raft.HeartbeatTick)
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
	if s.CAConfig.ExternalCAs != nil {
		spec.CAConfig.ExternalCAs = nil
		for _, e := range s.CAConfig.ExternalCAs {
			if e == nil {
				continue
			}
			if strings.ToLower(string(e.Protocol)) != string(types.ExternalCAProtocolCFSSL) {
				return spec, errInvalid("invalid protocol: %q", e.Protocol)
			}
			spec.CAConfig.ExternalCAs = append(spec.CAConfig.ExternalCAs, &api.ExternalCA{Protocol: api.ExternalCA_CAProtocolCFSSL, URL: e.URL, Options: e.Options, CACert: []byte(e.CACert)})
		}
	}
	if s.TaskDefaults.LogDriver != nil {
		spec.TaskDefaults.LogDriver = driverToGRPC(s.TaskDefaults.LogDriver)
	}
	spec.EncryptionConfig.AutoLockManagers = s.EncryptionConfig.AutoLockManagers
	return spec, nil
}
