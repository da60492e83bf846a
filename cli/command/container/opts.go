package container

import (
	"time"

	"github.com/berth-project/berth/cli/opts"
	"github.com/spf13/pflag"
)

// containerOptions holds the create/run flags shared by both commands.
type containerOptions struct {
	attach, env, envFile, labels, labelFile, tmpfs, ulimits, capAdd, capDrop,
	securityOpt, devices, dns, dnsSearch, dnsOption, addHost, publish, expose,
	links, volumes, mounts, volumesFrom, logOpts, groupAdd, networkAlias, networks,
	storageOpt, deviceCgroupRules *opts.ListOpts
	blkioWeightDevice, deviceReadBps, deviceWriteBps, deviceReadIOps, deviceWriteIOps *opts.ListOpts
	sysctls, annotations                                                              *opts.MapOpts

	detach, interactive, tty, init, readOnly, privileged, publishAll,
	noHealthcheck, oomKillDisable, autoRemove, quiet bool

	workdir, user, name, hostname, domainname, entrypoint, stopSignal,
	ip, ip6, macAddress, restart, logDriver, healthCmd, pid, ipc,
	uts, userns, cgroupns, cgroupParent, runtime, platform, pull, cidfile,
	cpusetCpus, cpusetMems, volumeDriver, isolation string

	stopTimeout, oomScoreAdj int
	healthRetries            int
	cpuShares, cpuPeriod     int64
	cpuQuota, pidsLimit      int64
	cpuRtPeriod, cpuRtRun    int64
	blkioWeight              uint16
	memorySwappiness         int64
	healthInterval           time.Duration
	healthTimeout            time.Duration
	healthStartPeriod        time.Duration
	healthStartInterval      time.Duration
	memory, memReservation   opts.MemBytes
	shmSize                  opts.MemBytes
	memorySwap               opts.MemSwapBytes
	cpus                     opts.NanoCPUs
}

func addFlags(f *pflag.FlagSet) *containerOptions {
	o := &containerOptions{
		attach: opts.NewListOpts(validateAttach), env: opts.NewListOpts(opts.ValidateEnv),
		envFile: opts.NewListOpts(nil), labels: opts.NewListOpts(opts.ValidateLabel),
		labelFile: opts.NewListOpts(nil), tmpfs: opts.NewListOpts(nil),
		ulimits: opts.NewListOpts(opts.ValidateUlimit), capAdd: opts.NewListOpts(nil),
		capDrop: opts.NewListOpts(nil), securityOpt: opts.NewListOpts(nil),
		devices: opts.NewListOpts(opts.ValidateDevice), dns: opts.NewListOpts(opts.ValidateIP),
		dnsSearch: opts.NewListOpts(nil), dnsOption: opts.NewListOpts(nil),
		addHost: opts.NewListOpts(opts.ValidateExtraHost), publish: opts.NewListOpts(nil),
		expose: opts.NewListOpts(nil), links: opts.NewListOpts(nil),
		volumes: opts.NewListOpts(nil), mounts: opts.NewListOpts(nil),
		volumesFrom: opts.NewListOpts(nil), logOpts: opts.NewListOpts(nil),
		groupAdd: opts.NewListOpts(nil), networkAlias: opts.NewListOpts(nil), networks: opts.NewListOpts(nil),
		storageOpt: opts.NewListOpts(nil), deviceCgroupRules: opts.NewListOpts(nil),
		sysctls: opts.NewMapOpts(opts.ValidateSysctl), annotations: opts.NewMapOpts(nil),
	}
	f.SetInterspersed(false)
	// Declared first so cobra does not claim -h, which is --hostname here.
	f.Bool("help", false, "Print usage")

	f.VarP(o.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.VarP(o.env, "env", "e", "Set environment variables")
	f.Var(o.envFile, "env-file", "Read in a file of environment variables")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.StringVar(&o.name, "name", "", "Assign a name to the container")
	f.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	f.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
	f.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	f.VarP(o.labels, "label", "l", "Set meta data on a container")
	f.Var(o.labelFile, "label-file", "Read in a line delimited file of labels")
	f.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	f.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	f.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	f.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	f.Var(o.tmpfs, "tmpfs", "Mount a tmpfs directory")
	f.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	f.Var(o.ulimits, "ulimit", "Ulimit options")
	f.Var(o.capAdd, "cap-add", "Add Linux capabilities")
	f.Var(o.capDrop, "cap-drop", "Drop Linux capabilities")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	f.Var(o.securityOpt, "security-opt", "Security Options")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	f.Var(&o.memReservation, "memory-reservation", "Memory soft limit")
	f.Int64Var(&o.memorySwappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	f.Int64Var(&o.cpuRtRun, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	f.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable")
	o.blkioWeightDevice, o.deviceReadBps, o.deviceWriteBps = opts.NewListOpts(nil), opts.NewListOpts(nil), opts.NewListOpts(nil)
	o.deviceReadIOps, o.deviceWriteIOps = opts.NewListOpts(nil), opts.NewListOpts(nil)
	f.Var(o.blkioWeightDevice, "blkio-weight-device", "Block IO weight (relative device weight)")
	f.Var(o.deviceReadBps, "device-read-bps", "Limit read rate (bytes per second) from a device")
	f.Var(o.deviceWriteBps, "device-write-bps", "Limit write rate (bytes per second) to a device")
	f.Var(o.deviceReadIOps, "device-read-iops", "Limit read rate (IO per second) from a device")
	f.Var(o.deviceWriteIOps, "device-write-iops", "Limit write rate (IO per second) to a device")
	f.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.StringVar(&o.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	f.Var(o.devices, "device", "Add a host device to the container")
	f.Var(o.deviceCgroupRules, "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	f.Var(o.networks, "network", "Connect a container to a network")
	f.Var(o.networks, "net", "Connect a container to a network")
	_ = f.MarkHidden("net")
	f.Var(o.networkAlias, "network-alias", "Add network-scoped alias for the container")
	f.Var(o.networkAlias, "net-alias", "Add network-scoped alias for the container")
	_ = f.MarkHidden("net-alias")
	f.StringVar(&o.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	f.StringVar(&o.ip6, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	f.Var(o.dns, "dns", "Set custom DNS servers")
	f.Var(o.dnsSearch, "dns-search", "Set custom DNS search domains")
	f.Var(o.dnsOption, "dns-option", "Set DNS options")
	f.Var(o.dnsOption, "dns-opt", "Set DNS options")
	_ = f.MarkHidden("dns-opt")
	f.Var(o.addHost, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	f.StringVar(&o.macAddress, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	f.VarP(o.publish, "publish", "p", "Publish a container's port(s) to the host")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	f.Var(o.expose, "expose", "Expose a port or a range of ports")
	f.Var(o.links, "link", "Add link to another container")
	f.VarP(o.volumes, "volume", "v", "Bind mount a volume")
	f.Var(o.mounts, "mount", "Attach a filesystem mount to the container")
	f.Var(o.volumesFrom, "volumes-from", "Mount volumes from the specified container(s)")
	f.StringVar(&o.volumeDriver, "volume-driver", "", "Optional volume driver for the container")
	f.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	f.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	f.Var(o.logOpts, "log-opt", "Log driver options")
	f.StringVar(&o.healthCmd, "health-cmd", "", "Command to run to check health")
	f.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	f.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	f.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	f.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	f.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	f.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
	f.Var(o.groupAdd, "group-add", "Add additional groups to join")
	f.Var(o.sysctls, "sysctl", "Sysctl options")
	f.Var(o.annotations, "annotation", "Add an annotation to the container (passed through to the OCI runtime)")
	f.Var(o.storageOpt, "storage-opt", "Storage driver options for the container")
	f.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	f.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	f.StringVar(&o.pid, "pid", "", "PID namespace to use")
	f.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	f.StringVar(&o.uts, "uts", "", "UTS namespace to use")
	f.StringVar(&o.userns, "userns", "", "User namespace to use")
	f.StringVar(&o.cgroupns, "cgroupns", "", "Cgroup namespace to use (host|private)")
	f.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
	f.StringVar(&o.isolation, "isolation", "", "Container isolation technology")
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	f.StringVar(&o.pull, "pull", "missing", `Pull image before running ("always", "missing", "never")`)
	f.StringVar(&o.cidfile, "cidfile", "", "Write the container ID to the file")
	f.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	f.Bool("disable-content-trust", true, "Skip image verification")
	_ = f.MarkHidden("disable-content-trust")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the pull output")
	return o
}
