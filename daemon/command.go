package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/berth-project/berth/daemon/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagKeys maps dockerd flags to daemon.json keys, for the "specified both
// as a flag and in the configuration file" check.
var flagKeys = map[string]string{
	"host": "hosts", "data-root": "data-root", "graph": "data-root", "exec-root": "exec-root", "pidfile": "pidfile",
	"log-driver": "log-driver", "log-opt": "log-opts", "default-runtime": "default-runtime",
	"bip": "bip", "bridge": "bridge", "mtu": "mtu", "dns": "dns", "dns-search": "dns-search", "dns-opt": "dns-opts",
	"icc": "icc", "ip-forward": "ip-forward", "iptables": "iptables", "ipv6": "ipv6", "fixed-cidr": "fixed-cidr",
	"fixed-cidr-v6": "fixed-cidr-v6", "default-address-pools": "default-address-pools", "debug": "debug", "storage-driver": "storage-driver",
	"live-restore": "live-restore", "metrics-addr": "metrics-addr", "init": "init", "init-path": "init-path",
	"cpu-rt-period": "cpu-rt-period", "cpu-rt-runtime": "cpu-rt-runtime", "tls": "tls", "tlsverify": "tlsverify", "tlscacert": "tlscacert", "tlscert": "tlscert", "tlskey": "tlskey",
	"insecure-registry": "insecure-registries", "registry-mirror": "registry-mirrors",
	"max-concurrent-downloads": "max-concurrent-downloads", "max-concurrent-uploads": "max-concurrent-uploads",
}

// NewCommand returns `berth daemon`, which takes dockerd's flags.
func NewCommand() *cobra.Command {
	cfg := config.Defaults()
	var configFile string
	logOpts := map[string]string{}
	var pools []string
	cmd := &cobra.Command{
		Use:           "daemon [OPTIONS]",
		Short:         "Run the berth daemon (dockerd-compatible flags)",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(logOpts) > 0 {
				cfg.LogOpts = logOpts
			}
			for _, v := range pools {
				p, err := config.ParseAddressPool(v)
				if err != nil {
					return err
				}
				cfg.DefaultAddressPools = append(cfg.DefaultAddressPools, p)
			}
			flagsSet := map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if k, ok := flagKeys[f.Name]; ok {
					flagsSet[k] = true
				}
			})
			explicit := cmd.Flags().Changed("config-file")
			file, fileSet, err := config.LoadFile(configFile, !explicit)
			if err != nil {
				return err
			}
			if err := config.Merge(cfg, file, fileSet, flagsSet); err != nil {
				return err
			}
			level := &slog.LevelVar{}
			if cfg.Debug {
				level.Set(slog.LevelDebug)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			if err := checkHosts(cfg); err != nil {
				return err
			}
			ctx := context.Background()
			d, err := New(ctx, cfg, log)
			if err != nil {
				return err
			}
			d.SetReloadSource(ReloadSource{Path: configFile, Optional: !explicit, FlagsSet: flagsSet, Level: level})
			log.Info("berth daemon started", "version", Version, "data-root", cfg.DataRoot, "exec-root", cfg.ExecRoot)
			return d.Serve(ctx)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&cfg.Hosts, "host", "H", nil, "Daemon socket(s) to connect to")
	f.StringVar(&cfg.DataRoot, "data-root", cfg.DataRoot, "Root directory of persistent state")
	f.StringVarP(&cfg.DataRoot, "graph", "g", cfg.DataRoot, "Root of the runtime (deprecated alias of --data-root)")
	_ = f.MarkHidden("graph")
	f.StringVar(&cfg.ExecRoot, "exec-root", cfg.ExecRoot, "Root directory for execution state files")
	f.StringVarP(&cfg.Pidfile, "pidfile", "p", "", "Path to use for daemon PID file")
	f.StringVar(&configFile, "config-file", "/etc/berth/daemon.json", "Daemon configuration file")
	f.StringVar(&cfg.LogDriver, "log-driver", cfg.LogDriver, "Default driver for container logs")
	f.StringToStringVar(&logOpts, "log-opt", nil, "Default log driver options for containers")
	f.StringVar(&cfg.DefaultRuntime, "default-runtime", cfg.DefaultRuntime, "Default OCI runtime for containers")
	f.StringVar(&cfg.Bip, "bip", cfg.Bip, "Specify default-bridge IP")
	f.StringVarP(&cfg.Bridge, "bridge", "b", cfg.Bridge, "Attach containers to a network bridge (\"none\" disables it)")
	f.IntVar(&cfg.MTU, "mtu", 0, "Set the containers network MTU")
	f.StringSliceVar(&cfg.DNS, "dns", nil, "DNS server to use")
	f.StringSliceVar(&cfg.DNSSearch, "dns-search", nil, "DNS search domains to use")
	f.StringSliceVar(&cfg.DNSOptions, "dns-opt", nil, "DNS options to use")
	f.BoolVar(&cfg.ICC, "icc", cfg.ICC, "Enable inter-container communication on the default bridge")
	f.BoolVar(&cfg.IPForward, "ip-forward", cfg.IPForward, "Enable net.ipv4.ip_forward")
	f.BoolVar(&cfg.IPTables, "iptables", cfg.IPTables, "Enable addition of firewall rules")
	f.BoolVar(&cfg.IPv6, "ipv6", false, "Enable IPv6 networking on the default bridge")
	f.StringVar(&cfg.FixedCIDR, "fixed-cidr", "", "IPv4 subnet for fixed IPs on the default bridge")
	f.StringVar(&cfg.FixedCIDRv6, "fixed-cidr-v6", "", "IPv6 subnet for the default bridge")
	f.StringArrayVar(&pools, "default-address-pools", nil, "Default address pools for node specific local networks (base=CIDR,size=N)")
	f.BoolVarP(&cfg.Debug, "debug", "D", false, "Enable debug mode")
	f.StringVarP(&cfg.StorageDriver, "storage-driver", "s", cfg.StorageDriver, "Storage driver to use")
	f.BoolVar(&cfg.LiveRestore, "live-restore", false, "Keep containers running when the daemon stops")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "Set default address and port to serve the metrics api on")
	f.BoolVar(&cfg.Init, "init", false, "Run an init in the container to forward signals and reap processes")
	f.StringVar(&cfg.InitPath, "init-path", "", "Path to the docker-init binary")
	f.Int64Var(&cfg.CPURealtimePeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds for the parent cgroup for all containers")
	f.Int64Var(&cfg.CPURealtimeRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds for the parent cgroup for all containers")
	f.BoolVar(&cfg.TLS, "tls", false, "Use TLS; implied by --tlsverify")
	f.BoolVar(&cfg.TLSVerify, "tlsverify", false, "Use TLS and verify the remote")
	f.StringVar(&cfg.TLSCACert, "tlscacert", "", "Trust certs signed only by this CA")
	f.StringVar(&cfg.TLSCert, "tlscert", "", "Path to TLS certificate file")
	f.StringVar(&cfg.TLSKey, "tlskey", "", "Path to TLS key file")
	f.StringSliceVar(&cfg.InsecureRegistries, "insecure-registry", nil, "Enable insecure registry communication")
	f.StringSliceVar(&cfg.RegistryMirrors, "registry-mirror", nil, "Preferred registry mirror")
	f.IntVar(&cfg.MaxConcurrentDownloads, "max-concurrent-downloads", cfg.MaxConcurrentDownloads, "Set the max concurrent downloads")
	f.IntVar(&cfg.MaxConcurrentUploads, "max-concurrent-uploads", cfg.MaxConcurrentUploads, "Set the max concurrent uploads")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return fmt.Errorf("%w\nSee 'berth daemon --help'", err) })
	return cmd
}
