package service

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/pflag"
)

// toSpec builds the ServiceSpec `service create` sends, with docker's
// defaults (update/rollback config, restart policy any/5s, vip endpoint).
func (o *serviceOpts) toSpec(ctx context.Context, api *client.Client, f *pflag.FlagSet, image string, cmdArgs []string) (swarm.ServiceSpec, error) {
	var spec swarm.ServiceSpec
	env, err := o.envList()
	if err != nil {
		return spec, err
	}
	cs := &swarm.ContainerSpec{
		Image: image, Args: cmdArgs, Env: env, Labels: swarmutil.Labels(o.containerLabels),
		Dir: o.workdir, User: o.user, Groups: o.groups, Hostname: o.hostname, TTY: o.tty,
		ReadOnly: o.readOnly, StopSignal: o.stopSignal, Hosts: hostsList(o.hosts),
	}
	if len(cs.Labels) == 0 {
		cs.Labels = nil
	}
	if o.entrypoint != "" {
		cs.Command = []string{o.entrypoint}
	}
	// docker always sends Init, false unless --init.
	initV := o.init
	cs.Init = &initV
	grace := o.stopGrace
	if !f.Changed("stop-grace-period") {
		grace = 10 * time.Second
	}
	cs.StopGracePeriod = &grace
	if cs.Mounts, err = parseMounts(o.mounts); err != nil {
		return spec, err
	}
	if cs.Healthcheck, err = o.healthConfig(f); err != nil {
		return spec, err
	}
	cs.DNSConfig = &swarm.DNSConfig{Search: o.dnsSearch, Options: o.dnsOption}
	if cs.DNSConfig.Nameservers, err = parseDNS(o.dns); err != nil {
		return spec, err
	}
	if err := o.kernel.applyCreate(cs); err != nil {
		return spec, err
	}
	if cs.Secrets, err = resolveSecrets(ctx, api, o.secrets); err != nil {
		return spec, err
	}
	if cs.Configs, err = resolveConfigs(ctx, api, o.configs); err != nil {
		return spec, err
	}
	task := swarm.TaskSpec{ContainerSpec: cs, Resources: o.resources(), Placement: &swarm.Placement{Constraints: o.constraints, MaxReplicas: o.maxReplicas}}
	for _, p := range o.prefs {
		pp, err := parsePlacementPref(p)
		if err != nil {
			return spec, fmt.Errorf("invalid argument %q for \"--placement-pref\" flag: %w", p, err)
		}
		task.Placement.Preferences = append(task.Placement.Preferences, pp)
	}
	task.RestartPolicy, err = o.restartPolicy(f, nil)
	if err != nil {
		return spec, err
	}
	for _, n := range o.networks {
		task.Networks = append(task.Networks, parseNetwork(n))
	}
	if o.logDriver != "" {
		task.LogDriver = &swarm.Driver{Name: o.logDriver, Options: opts.ConvertKVStringsToMap(o.logOpts)}
	}
	spec.TaskTemplate = task
	spec.Annotations = swarm.Annotations{Name: o.name, Labels: swarmutil.Labels(o.labels)}
	if spec.Mode, err = o.serviceMode(f); err != nil {
		return spec, err
	}
	if spec.UpdateConfig, err = toUpdateConfig(o.update, f, "update", nil); err != nil {
		return spec, err
	}
	if spec.RollbackConfig, err = toUpdateConfig(o.rollback, f, "rollback", nil); err != nil {
		return spec, err
	}
	spec.EndpointSpec = &swarm.EndpointSpec{Mode: swarm.ResolutionMode(o.endpointMode)}
	for _, p := range o.publish {
		pcs, err := parsePublish(p)
		if err != nil {
			return spec, fmt.Errorf("invalid argument %q for \"-p, --publish\" flag: %w", p, err)
		}
		spec.EndpointSpec.Ports = append(spec.EndpointSpec.Ports, pcs...)
	}
	return spec, nil
}

func (o *serviceOpts) envList() ([]string, error) {
	var env []string
	for _, file := range o.envFile {
		vals, err := opts.ParseEnvFile(file)
		if err != nil {
			return nil, err
		}
		env = append(env, vals...)
	}
	for _, e := range o.env {
		v, err := opts.ValidateEnv(e)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	return env, nil
}

// hostsList turns docker's host:ip into the "ip host" lines of ContainerSpec.Hosts.
func hostsList(vals []string) []string {
	var out []string
	for _, v := range vals {
		host, ip, ok := strings.Cut(v, ":")
		if !ok {
			host, ip, _ = strings.Cut(v, "=")
		}
		out = append(out, ip+" "+host)
	}
	return out
}

func (o *serviceOpts) resources() *swarm.ResourceRequirements {
	return &swarm.ResourceRequirements{
		Limits:       &swarm.Limit{NanoCPUs: o.limitCPU.Value(), MemoryBytes: o.limitMemory.Value(), Pids: o.limitPids},
		Reservations: &swarm.Resources{NanoCPUs: o.reserveCPU.Value(), MemoryBytes: o.reserveMemory.Value()},
	}
}

func (o *serviceOpts) restartPolicy(f *pflag.FlagSet, cur *swarm.RestartPolicy) (*swarm.RestartPolicy, error) {
	var rp swarm.RestartPolicy
	if cur != nil {
		rp = *cur
	} else {
		delay := 5 * time.Second
		zero := uint64(0)
		rp = swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &delay, MaxAttempts: &zero}
	}
	if f.Changed("restart-condition") {
		switch c := swarm.RestartPolicyCondition(o.restartCondition); c {
		case swarm.RestartPolicyConditionNone, swarm.RestartPolicyConditionOnFailure, swarm.RestartPolicyConditionAny:
			rp.Condition = c
		default:
			return nil, fmt.Errorf("invalid argument %q for \"--restart-condition\" flag: invalid RestartCondition %q", o.restartCondition, o.restartCondition)
		}
	}
	if f.Changed("restart-delay") {
		d := o.restartDelay
		rp.Delay = &d
	}
	if f.Changed("restart-max-attempts") {
		n := o.restartMaxAttempts
		rp.MaxAttempts = &n
	}
	if f.Changed("restart-window") {
		w := o.restartWindow
		rp.Window = &w
	}
	return &rp, nil
}

func (o *serviceOpts) serviceMode(f *pflag.FlagSet) (swarm.ServiceMode, error) {
	var m swarm.ServiceMode
	switch o.mode {
	case "global":
		if f.Changed("replicas") {
			return m, fmt.Errorf("replicas can only be used with replicated or replicated-job mode")
		}
		m.Global = &swarm.GlobalService{}
	case "replicated":
		n := uint64(1)
		if f.Changed("replicas") {
			n = o.replicas
		}
		m.Replicated = &swarm.ReplicatedService{Replicas: &n}
	case "replicated-job":
		n := uint64(1)
		if f.Changed("replicas") {
			n = o.replicas
		}
		conc := n
		if f.Changed("max-concurrent") {
			conc = o.maxConcurrent
		}
		m.ReplicatedJob = &swarm.ReplicatedJob{MaxConcurrent: &conc, TotalCompletions: &n}
	case "global-job":
		if f.Changed("replicas") {
			return m, fmt.Errorf("replicas can only be used with replicated or replicated-job mode")
		}
		m.GlobalJob = &swarm.GlobalJob{}
	default:
		return m, fmt.Errorf("unknown mode: %s, only replicated and global supported", o.mode)
	}
	if f.Changed("max-concurrent") && m.ReplicatedJob == nil {
		return m, fmt.Errorf("max-concurrent can only be used with replicated-job mode")
	}
	return m, nil
}

// parseNetwork reads "name" or "name=x,alias=y,driver-opt=k=v".
func parseNetwork(v string) swarm.NetworkAttachmentConfig {
	if !strings.Contains(v, "=") {
		return swarm.NetworkAttachmentConfig{Target: v}
	}
	var n swarm.NetworkAttachmentConfig
	for _, field := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(field, "=")
		switch k {
		case "name", "target":
			n.Target = val
		case "alias":
			n.Aliases = append(n.Aliases, val)
		case "driver-opt":
			dk, dv, _ := strings.Cut(val, "=")
			if n.DriverOpts == nil {
				n.DriverOpts = map[string]string{}
			}
			n.DriverOpts[dk] = dv
		}
	}
	return n
}

// resolveSecrets maps secret names to IDs as docker's CLI does before
// sending the spec ("secret not found: x" when one is missing).
func resolveSecrets(ctx context.Context, api *client.Client, vals []string) ([]*swarm.SecretReference, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	res, err := api.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, s := range res.Items {
		ids[s.Spec.Name] = s.ID
	}
	var out []*swarm.SecretReference
	for _, v := range vals {
		src, tgt, uid, gid, mode, err := parseFileRef(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--secret\" flag: %w", v, err)
		}
		id, ok := ids[src]
		if !ok {
			return nil, fmt.Errorf("secret not found: %s", src)
		}
		out = append(out, &swarm.SecretReference{SecretID: id, SecretName: src,
			File: &swarm.SecretReferenceFileTarget{Name: tgt, UID: uid, GID: gid, Mode: os.FileMode(mode)}})
	}
	return out, nil
}

func resolveConfigs(ctx context.Context, api *client.Client, vals []string) ([]*swarm.ConfigReference, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	res, err := api.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, s := range res.Items {
		ids[s.Spec.Name] = s.ID
	}
	var out []*swarm.ConfigReference
	for _, v := range vals {
		src, tgt, uid, gid, mode, err := parseFileRef(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--config\" flag: %w", v, err)
		}
		id, ok := ids[src]
		if !ok {
			return nil, fmt.Errorf("config not found: %s", src)
		}
		out = append(out, &swarm.ConfigReference{ConfigID: id, ConfigName: src,
			File: &swarm.ConfigReferenceFileTarget{Name: tgt, UID: uid, GID: gid, Mode: os.FileMode(mode)}})
	}
	return out, nil
}
