package container

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

func validateAttach(v string) (string, error) {
	l := strings.ToLower(v)
	switch l {
	case "stdin", "stdout", "stderr":
		return l, nil
	}
	return v, errors.New("valid streams are STDIN, STDOUT and STDERR")
}

// containerConfig is everything ContainerCreate needs.
type containerConfig struct {
	Config     *container.Config
	HostConfig *container.HostConfig
	Network    *network.NetworkingConfig
}

// parse turns flags plus IMAGE [COMMAND] [ARG...] into API configs, the
// same way the docker CLI does.
func (o *containerOptions) parse(flags *pflag.FlagSet, args []string) (*containerConfig, error) {
	var (
		attachStdin  = false
		attachStdout = false
		attachStderr = false
	)
	for _, s := range o.attach.GetAll() {
		switch s {
		case "stdin":
			attachStdin = true
		case "stdout":
			attachStdout = true
		case "stderr":
			attachStderr = true
		}
	}
	if o.attach.Len() == 0 {
		attachStdout, attachStderr = true, true
		if o.interactive {
			attachStdin = true
		}
	}

	swap := o.memorySwap.Value()
	if o.memory.Value() != 0 && swap != 0 && swap != -1 && swap < o.memory.Value() {
		return nil, errors.New("minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if o.memorySwappiness != -1 && (o.memorySwappiness < 0 || o.memorySwappiness > 100) {
		return nil, fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.memorySwappiness)
	}

	// Environment: --env-file first, then -e, like docker.
	var env []string
	for _, f := range o.envFile.GetAll() {
		e, err := opts.ParseEnvFile(f)
		if err != nil {
			return nil, err
		}
		env = append(env, e...)
	}
	env = append(env, o.env.GetAll()...)

	var labelList []string
	for _, f := range o.labelFile.GetAll() {
		l, err := opts.ParseLabelFile(f)
		if err != nil {
			return nil, err
		}
		labelList = append(labelList, l...)
	}
	labelList = append(labelList, o.labels.GetAll()...)

	exposed, bindings, err := opts.ParsePortSpecs(o.publish.GetAll())
	if err != nil {
		return nil, err
	}
	for _, e := range o.expose.GetAll() {
		if strings.Contains(e, ":") {
			return nil, fmt.Errorf("invalid port format for --expose: %s", e)
		}
		ports, err := opts.ParseExpose(e)
		if err != nil {
			return nil, err
		}
		for _, p := range ports {
			exposed[p] = struct{}{}
		}
	}

	// -v: specs with a source go to Binds verbatim; anonymous volumes to Config.Volumes.
	var binds []string
	volumes := map[string]struct{}{}
	for _, v := range o.volumes.GetAll() {
		pv, err := opts.ParseVolume(v)
		if err != nil {
			return nil, err
		}
		if pv.Source == "" {
			volumes[pv.Target] = struct{}{}
		} else {
			binds = append(binds, v)
		}
	}
	var mounts []mount.Mount
	for _, m := range o.mounts.GetAll() {
		pm, err := opts.ParseMount(m)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--mount\" flag: %w", m, err)
		}
		mounts = append(mounts, pm)
	}

	tmpfs, err := opts.ParseTmpfs(o.tmpfs.GetAll())
	if err != nil {
		return nil, err
	}
	ulimits, err := opts.ParseUlimits(o.ulimits.GetAll())
	if err != nil {
		return nil, err
	}
	weightDevs, err := opts.ParseWeightDevices(o.blkioWeightDevice.GetAll())
	if err != nil {
		return nil, err
	}
	readBps, err := opts.ParseThrottleBps(o.deviceReadBps.GetAll())
	if err != nil {
		return nil, err
	}
	writeBps, err := opts.ParseThrottleBps(o.deviceWriteBps.GetAll())
	if err != nil {
		return nil, err
	}
	readIOps, err := opts.ParseThrottleIOps(o.deviceReadIOps.GetAll())
	if err != nil {
		return nil, err
	}
	writeIOps, err := opts.ParseThrottleIOps(o.deviceWriteIOps.GetAll())
	if err != nil {
		return nil, err
	}
	var devices []container.DeviceMapping
	for _, d := range o.devices.GetAll() {
		dm, err := opts.ParseDevice(d)
		if err != nil {
			return nil, err
		}
		devices = append(devices, dm)
	}
	secOpts, err := opts.ParseSecurityOpts(o.securityOpt.GetAll())
	if err != nil {
		return nil, err
	}
	restart, err := opts.ParseRestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}
	if o.autoRemove && restart.Name != "" && restart.Name != container.RestartPolicyDisabled {
		return nil, errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	var dns []netip.Addr
	for _, d := range o.dns.GetAll() {
		a, _ := netip.ParseAddr(d)
		dns = append(dns, a)
	}

	var (
		image      string
		cmd        []string
		entrypoint []string
	)
	if len(args) > 0 {
		image = args[0]
		if len(args) > 1 {
			cmd = args[1:]
		}
	}
	if flags.Changed("entrypoint") {
		entrypoint = []string{o.entrypoint}
		if o.entrypoint == "" {
			// An explicit empty entrypoint resets the image's.
			entrypoint = []string{""}
		}
	}

	var health *container.HealthConfig
	haveHealth := o.healthCmd != "" || o.healthInterval != 0 || o.healthTimeout != 0 ||
		o.healthStartPeriod != 0 || o.healthStartInterval != 0 || o.healthRetries != 0
	if o.noHealthcheck {
		if haveHealth {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		health = &container.HealthConfig{Test: []string{"NONE"}}
	} else if haveHealth {
		var test []string
		if o.healthCmd != "" {
			test = []string{"CMD-SHELL", o.healthCmd}
		}
		for name, d := range map[string]int64{"--health-interval": int64(o.healthInterval), "--health-timeout": int64(o.healthTimeout), "--health-start-period": int64(o.healthStartPeriod), "--health-start-interval": int64(o.healthStartInterval)} {
			if d < 0 {
				return nil, fmt.Errorf("%s cannot be negative", name)
			}
		}
		if o.healthRetries < 0 {
			return nil, errors.New("--health-retries cannot be negative")
		}
		health = &container.HealthConfig{Test: test, Interval: o.healthInterval, Timeout: o.healthTimeout,
			StartPeriod: o.healthStartPeriod, StartInterval: o.healthStartInterval, Retries: o.healthRetries}
	}

	logOpts := map[string]string{}
	for _, l := range o.logOpts.GetAll() {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("invalid key/value pair format in logging opts: %s", l)
		}
		logOpts[k] = v
	}
	if len(logOpts) == 0 {
		logOpts = nil
	}
	storageOpts := map[string]string{}
	for _, s := range o.storageOpt.GetAll() {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("invalid storage option")
		}
		storageOpts[k] = v
	}
	if len(storageOpts) == 0 {
		storageOpts = nil
	}

	cfg := &container.Config{
		Hostname:     o.hostname,
		Domainname:   o.domainname,
		ExposedPorts: exposed,
		User:         o.user,
		Tty:          o.tty,
		OpenStdin:    o.interactive,
		AttachStdin:  attachStdin,
		AttachStdout: attachStdout,
		AttachStderr: attachStderr,
		Env:          env,
		Cmd:          cmd,
		Image:        image,
		Volumes:      volumes,
		Entrypoint:   entrypoint,
		WorkingDir:   o.workdir,
		Labels:       opts.ConvertKVStringsToMap(labelList),
		StopSignal:   o.stopSignal,
		Healthcheck:  health,
	}
	if len(exposed) == 0 {
		cfg.ExposedPorts = nil
	}
	if len(volumes) == 0 {
		cfg.Volumes = nil
	}
	if flags.Changed("stop-timeout") {
		t := o.stopTimeout
		cfg.StopTimeout = &t
	}
	if o.interactive && attachStdin {
		cfg.StdinOnce = true
	}

	resources := container.Resources{
		CgroupParent:         o.cgroupParent,
		Memory:               o.memory.Value(),
		MemoryReservation:    o.memReservation.Value(),
		MemorySwap:           swap,
		NanoCPUs:             o.cpus.Value(),
		CPUShares:            o.cpuShares,
		CPUPeriod:            o.cpuPeriod,
		CPUQuota:             o.cpuQuota,
		CPURealtimePeriod:    o.cpuRtPeriod,
		CPURealtimeRuntime:   o.cpuRtRun,
		BlkioWeight:          o.blkioWeight,
		BlkioWeightDevice:    weightDevs,
		BlkioDeviceReadBps:   readBps,
		BlkioDeviceWriteBps:  writeBps,
		BlkioDeviceReadIOps:  readIOps,
		BlkioDeviceWriteIOps: writeIOps,
		CpusetCpus:           o.cpusetCpus,
		CpusetMems:           o.cpusetMems,
		Devices:              devices,
		DeviceCgroupRules:    o.deviceCgroupRules.GetAll(),
		Ulimits:              ulimits,
	}
	if o.memorySwappiness != -1 {
		s := o.memorySwappiness
		resources.MemorySwappiness = &s
	}
	if flags.Changed("oom-kill-disable") {
		b := o.oomKillDisable
		resources.OomKillDisable = &b
	}
	if flags.Changed("pids-limit") {
		p := o.pidsLimit
		resources.PidsLimit = &p
	}

	netMode, nc, err := o.networkConfig()
	if err != nil {
		return nil, err
	}
	hc := &container.HostConfig{
		Binds:           binds,
		ContainerIDFile: o.cidfile,
		AutoRemove:      o.autoRemove,
		Privileged:      o.privileged,
		PortBindings:    bindings,
		Links:           o.links.GetAll(),
		PublishAllPorts: o.publishAll,
		DNS:             dns,
		DNSSearch:       o.dnsSearch.GetAll(),
		DNSOptions:      o.dnsOption.GetAll(),
		ExtraHosts:      o.addHost.GetAll(),
		VolumesFrom:     o.volumesFrom.GetAll(),
		NetworkMode:     netMode,
		IpcMode:         container.IpcMode(o.ipc),
		PidMode:         container.PidMode(o.pid),
		UTSMode:         container.UTSMode(o.uts),
		UsernsMode:      container.UsernsMode(o.userns),
		CgroupnsMode:    container.CgroupnsMode(o.cgroupns),
		CapAdd:          o.capAdd.GetAll(),
		CapDrop:         o.capDrop.GetAll(),
		GroupAdd:        o.groupAdd.GetAll(),
		RestartPolicy:   restart,
		SecurityOpt:     secOpts,
		StorageOpt:      storageOpts,
		ReadonlyRootfs:  o.readOnly,
		LogConfig:       container.LogConfig{Type: o.logDriver, Config: logOpts},
		VolumeDriver:    o.volumeDriver,
		Isolation:       container.Isolation(o.isolation),
		ShmSize:         o.shmSize.Value(),
		Resources:       resources,
		Tmpfs:           tmpfs,
		Sysctls:         o.sysctls.GetAll(),
		Runtime:         o.runtime,
		Mounts:          mounts,
		OomScoreAdj:     o.oomScoreAdj,
	}
	if len(hc.Sysctls) == 0 {
		hc.Sysctls = nil
	}
	if a := o.annotations.GetAll(); len(a) > 0 {
		hc.Annotations = a
	}
	if flags.Changed("init") {
		b := o.init
		hc.Init = &b
	}

	return &containerConfig{Config: cfg, HostConfig: hc, Network: nc}, nil
}

func parseMAC(s string) (network.HardwareAddr, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid mac address", s)
	}
	return network.HardwareAddr(hw), nil
}
