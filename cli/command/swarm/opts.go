package swarm

import (
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/spf13/pflag"
)

// specOpts are the cluster settings shared by `swarm init` and `swarm
// update`. Like docker, only flags the user set are put in the spec: the
// daemon (init) or the current spec (update) supplies the rest.
type specOpts struct {
	taskHistoryLimit    int64
	dispatcherHeartbeat time.Duration
	certExpiry          time.Duration
	externalCA          []string
	maxSnapshots        uint64
	snapshotInterval    uint64
	autolock            bool
}

func addSpecFlags(f *pflag.FlagSet, o *specOpts) {
	f.Int64Var(&o.taskHistoryLimit, "task-history-limit", 5, "Task history retention limit")
	f.DurationVar(&o.dispatcherHeartbeat, "dispatcher-heartbeat", 5*time.Second, "Dispatcher heartbeat period (ns|us|ms|s|m|h)")
	f.DurationVar(&o.certExpiry, "cert-expiry", 90*24*time.Hour, "Validity period for node certificates (ns|us|ms|s|m|h)")
	f.StringArrayVar(&o.externalCA, "external-ca", nil, "Specifications of one or more certificate signing endpoints")
	f.Uint64Var(&o.maxSnapshots, "max-snapshots", 0, "Number of additional Raft snapshots to retain")
	f.Uint64Var(&o.snapshotInterval, "snapshot-interval", 10000, "Number of log entries between Raft snapshots")
	f.BoolVar(&o.autolock, "autolock", false, "Enable manager autolocking (requiring an unlock key to start a stopped manager)")
}

// merge writes the changed flags into spec.
func (o *specOpts) merge(spec *swarm.Spec, f *pflag.FlagSet) error {
	if f.Changed("task-history-limit") {
		v := o.taskHistoryLimit
		spec.Orchestration.TaskHistoryRetentionLimit = &v
	}
	if f.Changed("dispatcher-heartbeat") {
		spec.Dispatcher.HeartbeatPeriod = o.dispatcherHeartbeat
	}
	if f.Changed("cert-expiry") {
		spec.CAConfig.NodeCertExpiry = o.certExpiry
	}
	if f.Changed("external-ca") {
		cas := make([]*swarm.ExternalCA, 0, len(o.externalCA))
		for _, s := range o.externalCA {
			ca, err := parseExternalCA(s)
			if err != nil {
				return fmt.Errorf("invalid argument %q for \"--external-ca\" flag: %w", s, err)
			}
			cas = append(cas, ca)
		}
		spec.CAConfig.ExternalCAs = cas
	}
	if f.Changed("max-snapshots") {
		v := o.maxSnapshots
		spec.Raft.KeepOldSnapshots = &v
	}
	if f.Changed("snapshot-interval") {
		spec.Raft.SnapshotInterval = o.snapshotInterval
	}
	if f.Changed("autolock") {
		spec.EncryptionConfig.AutoLockManagers = o.autolock
	}
	return nil
}

// parseExternalCA reads docker's "protocol=cfssl,url=https://..." form.
func parseExternalCA(s string) (*swarm.ExternalCA, error) {
	ca := &swarm.ExternalCA{Options: map[string]string{}}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		switch strings.ToLower(k) {
		case "protocol":
			if strings.ToLower(v) != string(swarm.ExternalCAProtocolCFSSL) {
				return nil, fmt.Errorf("unrecognized external CA protocol %s", v)
			}
			ca.Protocol = swarm.ExternalCAProtocolCFSSL
		case "url":
			ca.URL = v
		default:
			ca.Options[k] = v
		}
	}
	if ca.Protocol == "" {
		return nil, fmt.Errorf("the external-ca option needs a protocol= parameter")
	}
	if ca.URL == "" {
		return nil, fmt.Errorf("the external-ca option needs a url= parameter")
	}
	return ca, nil
}

// parseAvailability checks --availability like docker does.
func parseAvailability(s string) (swarm.NodeAvailability, error) {
	switch a := swarm.NodeAvailability(strings.ToLower(s)); a {
	case swarm.NodeAvailabilityActive, swarm.NodeAvailabilityPause, swarm.NodeAvailabilityDrain:
		return a, nil
	}
	return "", fmt.Errorf("invalid availability %q, only active, pause and drain are supported", s)
}
