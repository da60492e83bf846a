package convert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// testCA makes a self-signed CA certificate in PEM and returns it with the
// raw subject and public key the TLSInfo must carry.
func testCA(t *testing.T, cn string) (pemCert, subject, pub []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert.RawSubject, cert.RawSubjectPublicKeyInfo
}

func TestSwarmFromGRPC(t *testing.T) {
	caPEM, subj, pub := testCA(t, "swarm-ca")
	newPEM, newSubj, newPub := testCA(t, "swarm-ca-next")
	created := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &swarmapi.Cluster{
		ID:   "clusterid",
		Meta: swarmapi.Meta{Version: swarmapi.Version{Index: 9}, CreatedAt: ts(t, created), UpdatedAt: ts(t, created.Add(time.Second))},
		Spec: swarmapi.ClusterSpec{
			Annotations:   swarmapi.Annotations{Name: "default"},
			Orchestration: swarmapi.OrchestrationConfig{TaskHistoryRetentionLimit: 5},
			Raft:          swarmapi.RaftConfig{SnapshotInterval: 10000, KeepOldSnapshots: 2, LogEntriesForSlowFollowers: 500, HeartbeatTick: 1, ElectionTick: 10},
			Dispatcher:    swarmapi.DispatcherConfig{HeartbeatPeriod: gogotypes.DurationProto(5 * time.Second)},
			CAConfig: swarmapi.CAConfig{
				NodeCertExpiry: gogotypes.DurationProto(90 * 24 * time.Hour),
				ExternalCAs:    []*swarmapi.ExternalCA{{Protocol: swarmapi.ExternalCA_CAProtocolCFSSL, URL: "https://ca.local", Options: map[string]string{"a": "b"}, CACert: []byte("PEM")}},
				SigningCACert:  []byte("secret cert"), SigningCAKey: []byte("secret key"), ForceRotate: 3,
			},
			TaskDefaults:     swarmapi.TaskDefaults{LogDriver: &swarmapi.Driver{Name: "json-file", Options: map[string]string{"max-file": "3"}}},
			EncryptionConfig: swarmapi.EncryptionConfig{AutoLockManagers: true},
		},
		RootCA: swarmapi.RootCA{
			CACert:     caPEM,
			JoinTokens: swarmapi.JoinTokens{Worker: "SWMTKN-1-w", Manager: "SWMTKN-1-m"},
		},
		DefaultAddressPool: []string{"10.0.0.0/8", "fd00::/8"},
		SubnetSize:         24,
		VXLANUDPPort:       4789,
	}
	want := types.Swarm{
		ClusterInfo: types.ClusterInfo{
			ID:   "clusterid",
			Meta: types.Meta{Version: types.Version{Index: 9}, CreatedAt: created, UpdatedAt: created.Add(time.Second)},
			Spec: types.Spec{
				Annotations:   types.Annotations{Name: "default", Labels: map[string]string{}},
				Orchestration: types.OrchestrationConfig{TaskHistoryRetentionLimit: ptr(int64(5))},
				Raft:          types.RaftConfig{SnapshotInterval: 10000, KeepOldSnapshots: ptr(uint64(2)), LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1},
				Dispatcher:    types.DispatcherConfig{HeartbeatPeriod: 5 * time.Second},
				CAConfig: types.CAConfig{
					NodeCertExpiry: 90 * 24 * time.Hour,
					ExternalCAs:    []*types.ExternalCA{{Protocol: types.ExternalCAProtocolCFSSL, URL: "https://ca.local", Options: map[string]string{"a": "b"}, CACert: "PEM"}},
					ForceRotate:    3,
				},
				TaskDefaults:     types.TaskDefaults{LogDriver: &types.Driver{Name: "json-file", Options: map[string]string{"max-file": "3"}}},
				EncryptionConfig: types.EncryptionConfig{AutoLockManagers: true},
			},
			TLSInfo:         types.TLSInfo{TrustRoot: string(caPEM), CertIssuerSubject: subj, CertIssuerPublicKey: pub},
			DefaultAddrPool: []netip.Prefix{mustPrefix("10.0.0.0/8"), mustPrefix("fd00::/8")},
			SubnetSize:      24,
			DataPathPort:    4789,
		},
		JoinTokens: types.JoinTokens{Worker: "SWMTKN-1-w", Manager: "SWMTKN-1-m"},
	}
	assertEqual(t, "swarm", SwarmFromGRPC(c), want)

	// During a root rotation the issuer is the new root.
	c.RootCA.RootRotation = &swarmapi.RootRotation{CACert: newPEM}
	got := SwarmFromGRPC(c)
	if !got.RootRotationInProgress || !bytes.Equal(got.TLSInfo.CertIssuerSubject, newSubj) || !bytes.Equal(got.TLSInfo.CertIssuerPublicKey, newPub) {
		t.Fatalf("rotation: %+v", got.TLSInfo)
	}
	if got.TLSInfo.TrustRoot != string(caPEM) {
		t.Fatal("trust root stays the current root during a rotation")
	}

	c.RootCA = swarmapi.RootCA{CACert: []byte("garbage")}
	if got := SwarmFromGRPC(c); got.TLSInfo.CertIssuerSubject != nil {
		t.Fatal("unparsable root CA must leave the issuer empty")
	}
	if got := SwarmFromGRPC(nil); got.ID != "" {
		t.Fatal("nil cluster")
	}
}

func TestMergeSwarmSpecToGRPC(t *testing.T) {
	current := func() swarmapi.ClusterSpec {
		return swarmapi.ClusterSpec{
			Annotations:      swarmapi.Annotations{Name: "default", Labels: map[string]string{"old": "1"}},
			Orchestration:    swarmapi.OrchestrationConfig{TaskHistoryRetentionLimit: 5},
			Raft:             swarmapi.RaftConfig{SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, HeartbeatTick: 1, ElectionTick: 10},
			Dispatcher:       swarmapi.DispatcherConfig{HeartbeatPeriod: gogotypes.DurationProto(5 * time.Second)},
			CAConfig:         swarmapi.CAConfig{NodeCertExpiry: gogotypes.DurationProto(2160 * time.Hour), ExternalCAs: []*swarmapi.ExternalCA{{URL: "https://old"}}, ForceRotate: 1},
			TaskDefaults:     swarmapi.TaskDefaults{LogDriver: &swarmapi.Driver{Name: "json-file"}},
			EncryptionConfig: swarmapi.EncryptionConfig{AutoLockManagers: true},
		}
	}
	cases := []struct {
		name  string
		in    types.Spec
		check func(t *testing.T, got swarmapi.ClusterSpec)
	}{
		{"empty spec keeps all but the always-set fields", types.Spec{}, func(t *testing.T, got swarmapi.ClusterSpec) {
			want := current()
			want.CAConfig.ForceRotate = 0
			want.EncryptionConfig.AutoLockManagers = false
			assertEqual(t, "spec", got, want)
		}},
		{"set fields override", types.Spec{
			Annotations:   types.Annotations{Labels: map[string]string{"new": "2"}},
			Orchestration: types.OrchestrationConfig{TaskHistoryRetentionLimit: ptr(int64(0))},
			Raft:          types.RaftConfig{SnapshotInterval: 20000, KeepOldSnapshots: ptr(uint64(4)), ElectionTick: 20},
			Dispatcher:    types.DispatcherConfig{HeartbeatPeriod: 10 * time.Second},
			CAConfig:      types.CAConfig{NodeCertExpiry: 48 * time.Hour, SigningCACert: "CERT", SigningCAKey: "KEY", ForceRotate: 2},
			TaskDefaults:  types.TaskDefaults{LogDriver: &types.Driver{Name: "local"}},
		}, func(t *testing.T, got swarmapi.ClusterSpec) {
			if got.Annotations.Name != "default" || got.Annotations.Labels["new"] != "2" || got.Annotations.Labels["old"] != "" {
				t.Errorf("annotations %+v", got.Annotations)
			}
			if got.Orchestration.TaskHistoryRetentionLimit != 0 {
				t.Error("a set pointer to 0 overrides")
			}
			if r := got.Raft; r.SnapshotInterval != 20000 || r.KeepOldSnapshots != 4 || r.ElectionTick != 20 || r.HeartbeatTick != 1 || r.LogEntriesForSlowFollowers != 500 {
				t.Errorf("raft %+v", r)
			}
			if d := durationFromProto(got.Dispatcher.HeartbeatPeriod); d != 10*time.Second {
				t.Errorf("heartbeat %v", d)
			}
			ca := got.CAConfig
			if durationFromProto(ca.NodeCertExpiry) != 48*time.Hour || string(ca.SigningCACert) != "CERT" || string(ca.SigningCAKey) != "KEY" || ca.ForceRotate != 2 || len(ca.ExternalCAs) != 1 {
				t.Errorf("ca %+v", ca)
			}
			if got.TaskDefaults.LogDriver.Name != "local" {
				t.Errorf("task defaults %+v", got.TaskDefaults)
			}
		}},
		{"external CAs replace", types.Spec{CAConfig: types.CAConfig{ExternalCAs: []*types.ExternalCA{{Protocol: "CFSSL", URL: "https://new"}}}},
			func(t *testing.T, got swarmapi.ClusterSpec) {
				if len(got.CAConfig.ExternalCAs) != 1 || got.CAConfig.ExternalCAs[0].URL != "https://new" {
					t.Errorf("external CAs %+v", got.CAConfig.ExternalCAs)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MergeSwarmSpecToGRPC(c.in, current())
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, got)
		})
	}

	_, err := MergeSwarmSpecToGRPC(types.Spec{CAConfig: types.CAConfig{ExternalCAs: []*types.ExternalCA{{Protocol: "acme"}}}}, current())
	if err == nil || err.Error() != `invalid protocol: "acme"` || !errdefs.IsInvalidParameter(err) {
		t.Fatalf("bad protocol: %v", err)
	}
}

func TestSwarmSpecInspectUpdateCycle(t *testing.T) {
	// docker swarm update reads the spec back and sends it whole: that
	// must not change the cluster (signing material is not in the read).
	cur := swarmapi.ClusterSpec{
		Annotations:   swarmapi.Annotations{Name: "default"},
		Orchestration: swarmapi.OrchestrationConfig{TaskHistoryRetentionLimit: 5},
		Raft:          swarmapi.RaftConfig{SnapshotInterval: 10000, KeepOldSnapshots: 1, LogEntriesForSlowFollowers: 500, HeartbeatTick: 1, ElectionTick: 10},
		Dispatcher:    swarmapi.DispatcherConfig{HeartbeatPeriod: gogotypes.DurationProto(5 * time.Second)},
		CAConfig:      swarmapi.CAConfig{NodeCertExpiry: gogotypes.DurationProto(2160 * time.Hour)},
	}
	read := SwarmFromGRPC(&swarmapi.Cluster{Spec: cur})
	for name, conv := range map[string]func() (swarmapi.ClusterSpec, error){
		"merge": func() (swarmapi.ClusterSpec, error) { return MergeSwarmSpecToGRPC(read.Spec, cur) },
		"whole": func() (swarmapi.ClusterSpec, error) { return SwarmSpecToGRPC(read.Spec) },
	} {
		got, err := conv()
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, name, got, cur)
	}
}
