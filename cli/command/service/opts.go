package service

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/spf13/pflag"
)

// serviceOpts holds the flags `service create` and `service update`
// share. create builds a whole spec from them; update applies only the
// changed ones to the current spec.
type serviceOpts struct {
	name, mode, workdir, user, hostname, entrypoint, stopSignal string
	replicas, maxConcurrent, maxReplicas                        uint64
	init, tty, readOnly, noHealthcheck                          bool
	env, envFile, labels, containerLabels, constraints, prefs   []string
	publish, networks, mounts, secrets, configs, groups         []string
	dns, dnsSearch, dnsOption, hosts                            []string
	limitCPU, reserveCPU                                        opts.NanoCPUs
	limitMemory, reserveMemory                                  opts.MemBytes
	limitPids                                                   int64
	stopGrace                                                   time.Duration
	restartCondition                                            string
	restartDelay, restartWindow                                 time.Duration
	restartMaxAttempts                                          uint64
	update, rollback                                            updateOpts
	healthCmd                                                   string
	healthInterval, healthTimeout, healthStart, healthStartInt  time.Duration
	healthRetries                                               int
	endpointMode                                                string
	logDriver                                                   string
	logOpts                                                     []string
	kernel                                                      kernelOpts
}

type updateOpts struct {
	parallelism     uint64
	delay, monitor  time.Duration
	failureAction   string
	order           string
	maxFailureRatio float32
}

func addUpdateFlags(f *pflag.FlagSet, o *updateOpts, prefix, what string) {
	f.Uint64Var(&o.parallelism, prefix+"-parallelism", 1, fmt.Sprintf("Maximum number of tasks %s simultaneously (0 to %s all at once)", what, strings.TrimSuffix(what, "d")))
	f.DurationVar(&o.delay, prefix+"-delay", 0, fmt.Sprintf("Delay between task %ss (ns|us|ms|s|m|h) (default 0s)", prefix))
	f.DurationVar(&o.monitor, prefix+"-monitor", 0, fmt.Sprintf("Duration after each task %s to monitor for failure (ns|us|ms|s|m|h) (default 5s)", prefix))
	f.StringVar(&o.failureAction, prefix+"-failure-action", "", fmt.Sprintf(`Action on %s failure ("pause", "continue"%s) (default "pause")`, prefix, map[bool]string{true: `, "rollback"`}[prefix == "update"]))
	f.Float32Var(&o.maxFailureRatio, prefix+"-max-failure-ratio", 0, fmt.Sprintf("Failure rate to tolerate during a %s (default 0)", prefix))
	f.StringVar(&o.order, prefix+"-order", "", fmt.Sprintf(`%s order ("start-first", "stop-first") (default "stop-first")`, strings.ToUpper(prefix[:1])+prefix[1:]))
}

// addCommonFlags registers the flags both commands have under the same name.
func addCommonFlags(f *pflag.FlagSet, o *serviceOpts) {
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.StringVar(&o.hostname, "hostname", "", "Container hostname")
	f.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	f.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	f.Uint64Var(&o.replicas, "replicas", 0, "Number of tasks")
	f.Uint64Var(&o.maxConcurrent, "max-concurrent", 0, "Number of job tasks to run concurrently (default equal to --replicas)")
	f.Uint64Var(&o.maxReplicas, "replicas-max-per-node", 0, "Maximum number of tasks per node (default 0 = unlimited)")
	f.BoolVar(&o.init, "init", false, "Use an init inside each service container to forward signals and reap processes")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	f.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
	f.Var(&o.limitCPU, "limit-cpu", "Limit CPUs")
	f.Var(&o.reserveCPU, "reserve-cpu", "Reserve CPUs")
	f.Var(&o.limitMemory, "limit-memory", "Limit Memory")
	f.Var(&o.reserveMemory, "reserve-memory", "Reserve Memory")
	f.Int64Var(&o.limitPids, "limit-pids", 0, "Limit maximum number of processes (default 0 = unlimited)")
	f.DurationVar(&o.stopGrace, "stop-grace-period", 0, "Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)")
	f.StringVar(&o.restartCondition, "restart-condition", "", `Restart when condition is met ("none", "on-failure", "any") (default "any")`)
	f.DurationVar(&o.restartDelay, "restart-delay", 0, "Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)")
	f.Uint64Var(&o.restartMaxAttempts, "restart-max-attempts", 0, "Maximum number of restarts before giving up")
	f.DurationVar(&o.restartWindow, "restart-window", 0, "Window used to evaluate the restart policy (ns|us|ms|s|m|h)")
	addUpdateFlags(f, &o.update, "update", "updated")
	addUpdateFlags(f, &o.rollback, "rollback", "rolled back")
	f.StringVar(&o.healthCmd, "health-cmd", "", "Command to run to check health")
	f.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h)")
	f.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h)")
	f.DurationVar(&o.healthStart, "health-start-period", 0, "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)")
	f.DurationVar(&o.healthStartInt, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h)")
	f.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	f.StringVar(&o.endpointMode, "endpoint-mode", "vip", "Endpoint mode (vip or dnsrr)")
	f.StringVar(&o.logDriver, "log-driver", "", "Logging driver for service")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "Logging driver options")
	addKernelFlags(f, &o.kernel)
}

// addCreateFlags registers the flags only `service create` has (update
// has their -add/-rm forms).
func addCreateFlags(f *pflag.FlagSet, o *serviceOpts) {
	f.StringVar(&o.name, "name", "", "Service name")
	f.StringVar(&o.mode, "mode", "replicated", `Service mode ("replicated", "global", "replicated-job", "global-job")`)
	f.StringArrayVarP(&o.env, "env", "e", nil, "Set environment variables")
	f.StringArrayVar(&o.envFile, "env-file", nil, "Read in a file of environment variables")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "Service labels")
	f.StringArrayVar(&o.containerLabels, "container-label", nil, "Container labels")
	f.StringArrayVar(&o.constraints, "constraint", nil, "Placement constraints")
	f.StringArrayVar(&o.prefs, "placement-pref", nil, "Add a placement preference")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "Publish a port as a node port")
	f.StringArrayVar(&o.networks, "network", nil, "Network attachments")
	f.StringArrayVar(&o.mounts, "mount", nil, "Attach a filesystem mount to the service")
	f.StringArrayVar(&o.secrets, "secret", nil, "Specify secrets to expose to the service")
	f.StringArrayVar(&o.configs, "config", nil, "Specify configurations to expose to the service")
	f.StringArrayVar(&o.groups, "group", nil, "Set one or more supplementary user groups for the container")
	f.StringArrayVar(&o.dns, "dns", nil, "Set custom DNS servers")
	f.StringArrayVar(&o.dnsSearch, "dns-search", nil, "Set custom DNS search domains")
	f.StringArrayVar(&o.dnsOption, "dns-option", nil, "Set DNS options")
	f.StringArrayVar(&o.hosts, "host", nil, "Set one or more custom host-to-IP mappings (host:ip)")
	addKernelCreateFlags(f, &o.kernel)
}

// parsePublish reads -p in the short form ([ip:]published:target[/proto])
// and the long one (published=8080,target=80,mode=host,protocol=udp).
func parsePublish(v string) ([]swarm.PortConfig, error) {
	if strings.Contains(v, "=") {
		p := swarm.PortConfig{Protocol: network.TCP, PublishMode: swarm.PortConfigPublishModeIngress}
		for _, field := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(field, "=")
			if !ok {
				return nil, fmt.Errorf("invalid field %s", field)
			}
			switch strings.ToLower(k) {
			case "published":
				n, err := strconv.ParseUint(val, 10, 16)
				if err != nil {
					return nil, fmt.Errorf("invalid published port %s", val)
				}
				p.PublishedPort = uint32(n)
			case "target":
				n, err := strconv.ParseUint(val, 10, 16)
				if err != nil {
					return nil, fmt.Errorf("invalid target port %s", val)
				}
				p.TargetPort = uint32(n)
			case "mode":
				if val != "ingress" && val != "host" {
					return nil, fmt.Errorf("invalid publish mode value (%s): must be either 'ingress' or 'host'", val)
				}
				p.PublishMode = swarm.PortConfigPublishMode(val)
			case "protocol":
				if val != "tcp" && val != "udp" && val != "sctp" {
					return nil, fmt.Errorf("invalid protocol value '%s'", val)
				}
				p.Protocol = network.IPProtocol(val)
			default:
				return nil, fmt.Errorf("invalid field key %s", k)
			}
		}
		if p.TargetPort == 0 {
			return nil, fmt.Errorf("missing mandatory field 'target'")
		}
		return []swarm.PortConfig{p}, nil
	}
	maps, err := opts.ParsePortSpec(v)
	if err != nil {
		return nil, err
	}
	out := make([]swarm.PortConfig, 0, len(maps))
	for _, m := range maps {
		pc := swarm.PortConfig{Protocol: m.Port.Proto(), TargetPort: uint32(m.Port.Num()), PublishMode: swarm.PortConfigPublishModeIngress}
		if m.Binding.HostPort != "" {
			n, err := strconv.ParseUint(m.Binding.HostPort, 10, 16)
			if err != nil {
				return nil, fmt.Errorf("invalid published port %s", m.Binding.HostPort)
			}
			pc.PublishedPort = uint32(n)
		}
		out = append(out, pc)
	}
	return out, nil
}

// parsePlacementPref reads "spread=node.labels.x".
func parsePlacementPref(v string) (swarm.PlacementPreference, error) {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return swarm.PlacementPreference{}, fmt.Errorf("placement preference must be of the format \"<strategy>=<arg>\"")
	}
	if k != "spread" {
		return swarm.PlacementPreference{}, fmt.Errorf("unsupported placement preference %s (only spread is supported)", k)
	}
	return swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: val}}, nil
}

// parseFileRef reads --secret/--config: "name" or
// "source=x,target=y,uid=0,gid=0,mode=0444".
func parseFileRef(v string) (source, target, uid, gid string, mode uint32, err error) {
	uid, gid, mode = "0", "0", 0o444
	if !strings.Contains(v, "=") {
		return v, v, uid, gid, mode, nil
	}
	for _, field := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(field, "=")
		if !ok {
			return "", "", "", "", 0, fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		switch strings.ToLower(k) {
		case "source", "src":
			source = val
		case "target":
			target = val
		case "uid":
			uid = val
		case "gid":
			gid = val
		case "mode":
			m, perr := strconv.ParseUint(val, 0, 32)
			if perr != nil {
				return "", "", "", "", 0, fmt.Errorf("invalid mode specified: %v", perr)
			}
			mode = uint32(m)
		default:
			return "", "", "", "", 0, fmt.Errorf("invalid field in secret request: %s", k)
		}
	}
	if source == "" {
		return "", "", "", "", 0, fmt.Errorf("source is required")
	}
	if target == "" {
		target = source
	}
	return source, target, uid, gid, mode, nil
}

func parseMounts(vals []string) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, v := range vals {
		m, err := opts.ParseMount(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--mount\" flag: %w", v, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseDNS(vals []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, v := range vals {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--dns\" flag: %s is not an ip address", v, v)
		}
		out = append(out, a)
	}
	return out, nil
}

// healthConfig builds the healthcheck from --health-* / --no-healthcheck,
// nil when none is set.
func (o *serviceOpts) healthConfig(f *pflag.FlagSet) (*container.HealthConfig, error) {
	set := f.Changed("health-cmd") || f.Changed("health-interval") || f.Changed("health-timeout") ||
		f.Changed("health-retries") || f.Changed("health-start-period") || f.Changed("health-start-interval")
	if o.noHealthcheck {
		if set {
			return nil, fmt.Errorf("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !set {
		return nil, nil
	}
	h := &container.HealthConfig{Interval: o.healthInterval, Timeout: o.healthTimeout,
		StartPeriod: o.healthStart, StartInterval: o.healthStartInt, Retries: o.healthRetries}
	if o.healthCmd != "" {
		h.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	return h, nil
}

func toUpdateConfig(o updateOpts, f *pflag.FlagSet, prefix string, cur *swarm.UpdateConfig) (*swarm.UpdateConfig, error) {
	u := swarm.UpdateConfig{Parallelism: 1, FailureAction: swarm.UpdateFailureActionPause, Monitor: 5 * time.Second, Order: swarm.UpdateOrderStopFirst}
	if cur != nil {
		u = *cur
	}
	if f.Changed(prefix + "-parallelism") {
		u.Parallelism = o.parallelism
	}
	if f.Changed(prefix + "-delay") {
		u.Delay = o.delay
	}
	if f.Changed(prefix + "-monitor") {
		u.Monitor = o.monitor
	}
	if f.Changed(prefix + "-max-failure-ratio") {
		u.MaxFailureRatio = o.maxFailureRatio
	}
	if f.Changed(prefix + "-failure-action") {
		switch a := swarm.FailureAction(o.failureAction); {
		case a == swarm.UpdateFailureActionPause, a == swarm.UpdateFailureActionContinue,
			a == swarm.UpdateFailureActionRollback && prefix == "update":
			u.FailureAction = a
		default:
			return nil, fmt.Errorf("invalid argument %q for \"--%s-failure-action\" flag", o.failureAction, prefix)
		}
	}
	if f.Changed(prefix + "-order") {
		switch ord := swarm.UpdateOrder(o.order); ord {
		case swarm.UpdateOrderStartFirst, swarm.UpdateOrderStopFirst:
			u.Order = ord
		default:
			return nil, fmt.Errorf("invalid argument %q for \"--%s-order\" flag", o.order, prefix)
		}
	}
	return &u, nil
}
