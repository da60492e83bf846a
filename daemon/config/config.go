// Package config holds the daemon's configuration: dockerd-compatible
// flags merged with a daemon.json file (Docker's keys).
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/berth-project/berth/logger"
	_ "github.com/berth-project/berth/logger/drivers" // the drivers ValidateOpts knows
	"net/netip"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Runtime is an entry of daemon.json "runtimes".
type Runtime struct {
	Path        string   `json:"path"`
	RuntimeArgs []string `json:"runtimeArgs,omitempty"`
}

// AddressPool is one entry of default-address-pools.
type AddressPool struct {
	Base string `json:"base"`
	Size int    `json:"size"`
}

// ParseAddressPool parses the flag form "base=172.80.0.0/16,size=24".
func ParseAddressPool(s string) (AddressPool, error) {
	var p AddressPool
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return p, fmt.Errorf("invalid default address pool %q: want base=CIDR,size=N", s)
		}
		switch k {
		case "base":
			p.Base = v
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil {
				return p, fmt.Errorf("invalid default address pool size %q", v)
			}
			p.Size = n
		default:
			return p, fmt.Errorf("invalid default address pool field %q", k)
		}
	}
	if p.Base == "" || p.Size == 0 {
		return p, fmt.Errorf("invalid default address pool %q: want base=CIDR,size=N", s)
	}
	return p, nil
}

// Config is the daemon configuration. JSON names are daemon.json keys.
type Config struct {
	Hosts          []string           `json:"hosts,omitempty"`
	DataRoot       string             `json:"data-root,omitempty"`
	Graph          string             `json:"graph,omitempty"` // deprecated alias of data-root (the seeds use it)
	ExecRoot       string             `json:"exec-root,omitempty"`
	Pidfile        string             `json:"pidfile,omitempty"`
	LogDriver      string             `json:"log-driver,omitempty"`
	LogOpts        map[string]string  `json:"log-opts,omitempty"`
	DefaultRuntime string             `json:"default-runtime,omitempty"`
	Runtimes       map[string]Runtime `json:"runtimes,omitempty"`
	Bip            string             `json:"bip,omitempty"`
	Bridge         string             `json:"bridge,omitempty"`
	MTU            int                `json:"mtu,omitempty"`
	DNS            []string           `json:"dns,omitempty"`
	DNSSearch      []string           `json:"dns-search,omitempty"`
	DNSOptions     []string           `json:"dns-opts,omitempty"`
	ICC            bool               `json:"icc"`
	IPForward      bool               `json:"ip-forward"`
	IPTables       bool               `json:"iptables"`
	IPv6           bool               `json:"ipv6,omitempty"`
	FixedCIDR      string             `json:"fixed-cidr,omitempty"`
	FixedCIDRv6    string             `json:"fixed-cidr-v6,omitempty"`
	// DefaultAddressPools is daemon.json's list of {"base","size"};
	// the flag --default-address-pools base=...,size=... repeats.
	DefaultAddressPools []AddressPool `json:"default-address-pools,omitempty"`
	Debug               bool          `json:"debug,omitempty"`
	StorageDriver       string        `json:"storage-driver,omitempty"`
	LiveRestore         bool          `json:"live-restore,omitempty"`
	TLS                 bool          `json:"tls,omitempty"`
	TLSVerify           bool          `json:"tlsverify,omitempty"`
	TLSCACert           string        `json:"tlscacert,omitempty"`
	TLSCert             string        `json:"tlscert,omitempty"`
	TLSKey              string        `json:"tlskey,omitempty"`
	// MetricsAddr serves Prometheus metrics (Docker's metrics-addr).
	MetricsAddr string `json:"metrics-addr,omitempty"`
	// Init runs every container with an init process unless it says
	// otherwise; InitPath is that init's binary.
	Init     bool   `json:"init,omitempty"`
	InitPath string `json:"init-path,omitempty"`
	// CPURealtimePeriod/Runtime are given to the containers' parent
	// cgroup so containers can ask for --cpu-rt-runtime.
	CPURealtimePeriod  int64 `json:"cpu-rt-period,omitempty"`
	CPURealtimeRuntime int64 `json:"cpu-rt-runtime,omitempty"`
	// Registry client settings (dockerd's names). 127.0.0.0/8 is always
	// insecure; certificates are read from CertsDirs/<host:port>/.
	InsecureRegistries     []string `json:"insecure-registries,omitempty"`
	RegistryMirrors        []string `json:"registry-mirrors,omitempty"`
	MaxConcurrentDownloads int      `json:"max-concurrent-downloads,omitempty"`
	MaxConcurrentUploads   int      `json:"max-concurrent-uploads,omitempty"`
	CertsDirs              []string `json:"-"`
}

// Defaults returns the built-in configuration.
func Defaults() *Config {
	return &Config{
		DataRoot:       "/var/lib/berth",
		ExecRoot:       "/run/berth",
		LogDriver:      "json-file",
		DefaultRuntime: "berth",
		Bridge:         "berth0",
		Bip:            "172.30.0.1/16",
		ICC:            true,
		IPForward:      true,
		IPTables:       true,
		StorageDriver:  "overlay2",
		// Docker's defaults.
		MaxConcurrentDownloads: 3,
		MaxConcurrentUploads:   5,
		CertsDirs:              []string{"/etc/berth/certs.d", "/etc/docker/certs.d"},
	}
}

// knownKeys lists daemon.json keys we accept; an unknown key is an error,
// as with dockerd.
var knownKeys = map[string]bool{}

func init() {
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		knownKeys[name] = true
	}
}

// LoadFile reads daemon.json. A missing file at the default path is not an
// error (optional=true).
func LoadFile(path string, optional bool) (*Config, map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if optional && os.IsNotExist(err) {
			return &Config{}, map[string]bool{}, nil
		}
		return nil, nil, fmt.Errorf("unable to configure the Docker daemon with file %s: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("unable to configure the Docker daemon with file %s: %w", path, err)
	}
	set := map[string]bool{}
	var unknown []string
	for k := range raw {
		if !knownKeys[k] {
			unknown = append(unknown, k)
		}
		set[k] = true
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, nil, fmt.Errorf("the following directives don't match any configuration option: %s", strings.Join(unknown, ", "))
	}
	c := &Config{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(c); err != nil {
		return nil, nil, fmt.Errorf("unable to configure the Docker daemon with file %s: %w", path, err)
	}
	if c.Graph != "" {
		if c.DataRoot != "" {
			return nil, nil, fmt.Errorf("cannot specify both \"graph\" and \"data-root\" config file options")
		}
		c.DataRoot, c.Graph = c.Graph, ""
		set["data-root"] = true
	}
	return c, set, nil
}

// Merge overlays file values onto base (defaults + flags). flagsSet names
// the daemon.json keys also given as flags: like dockerd, a directive set
// both ways is an error.
func Merge(base, file *Config, fileSet, flagsSet map[string]bool) error {
	var both []string
	for k := range fileSet {
		if flagsSet[k] {
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		sort.Strings(both)
		return fmt.Errorf("the following directives are specified both as a flag and in the configuration file: %s", strings.Join(both, ", "))
	}
	if fileSet["hosts"] {
		base.Hosts = file.Hosts
	}
	if fileSet["data-root"] {
		base.DataRoot = file.DataRoot
	}
	if fileSet["exec-root"] {
		base.ExecRoot = file.ExecRoot
	}
	if fileSet["pidfile"] {
		base.Pidfile = file.Pidfile
	}
	if fileSet["log-driver"] {
		base.LogDriver = file.LogDriver
	}
	if fileSet["log-opts"] {
		base.LogOpts = file.LogOpts
	}
	if fileSet["default-runtime"] {
		base.DefaultRuntime = file.DefaultRuntime
	}
	if fileSet["runtimes"] {
		base.Runtimes = file.Runtimes
	}
	if fileSet["bip"] {
		base.Bip = file.Bip
	}
	if fileSet["bridge"] {
		base.Bridge = file.Bridge
	}
	if fileSet["mtu"] {
		base.MTU = file.MTU
	}
	if fileSet["dns"] {
		base.DNS = file.DNS
	}
	if fileSet["dns-search"] {
		base.DNSSearch = file.DNSSearch
	}
	if fileSet["dns-opts"] {
		base.DNSOptions = file.DNSOptions
	}
	if fileSet["icc"] {
		base.ICC = file.ICC
	}
	if fileSet["ip-forward"] {
		base.IPForward = file.IPForward
	}
	if fileSet["iptables"] {
		base.IPTables = file.IPTables
	}
	if fileSet["ipv6"] {
		base.IPv6 = file.IPv6
	}
	if fileSet["fixed-cidr"] {
		base.FixedCIDR = file.FixedCIDR
	}
	if fileSet["fixed-cidr-v6"] {
		base.FixedCIDRv6 = file.FixedCIDRv6
	}
	if fileSet["default-address-pools"] {
		base.DefaultAddressPools = file.DefaultAddressPools
	}
	if fileSet["debug"] {
		base.Debug = file.Debug
	}
	if fileSet["storage-driver"] {
		base.StorageDriver = file.StorageDriver
	}
	if fileSet["live-restore"] {
		base.LiveRestore = file.LiveRestore
	}
	if fileSet["metrics-addr"] {
		base.MetricsAddr = file.MetricsAddr
	}
	if fileSet["init"] {
		base.Init = file.Init
	}
	if fileSet["init-path"] {
		base.InitPath = file.InitPath
	}
	if fileSet["cpu-rt-period"] {
		base.CPURealtimePeriod = file.CPURealtimePeriod
	}
	if fileSet["cpu-rt-runtime"] {
		base.CPURealtimeRuntime = file.CPURealtimeRuntime
	}
	if fileSet["tlscacert"] {
		base.TLSCACert = file.TLSCACert
	}
	if fileSet["tlscert"] {
		base.TLSCert = file.TLSCert
	}
	if fileSet["tlskey"] {
		base.TLSKey = file.TLSKey
	}
	if fileSet["tls"] {
		base.TLS = file.TLS
	}
	if fileSet["tlsverify"] {
		base.TLSVerify = file.TLSVerify
	}
	if fileSet["insecure-registries"] {
		base.InsecureRegistries = file.InsecureRegistries
	}
	if fileSet["registry-mirrors"] {
		base.RegistryMirrors = file.RegistryMirrors
	}
	if fileSet["max-concurrent-downloads"] {
		base.MaxConcurrentDownloads = file.MaxConcurrentDownloads
	}
	if fileSet["max-concurrent-uploads"] {
		base.MaxConcurrentUploads = file.MaxConcurrentUploads
	}
	return base.Validate()
}

// Validate checks values that would otherwise fail late.
func (c *Config) Validate() error {
	if c.MaxConcurrentDownloads < 0 {
		return fmt.Errorf("invalid max concurrent downloads: %d", c.MaxConcurrentDownloads)
	}
	if c.MaxConcurrentUploads < 0 {
		return fmt.Errorf("invalid max concurrent uploads: %d", c.MaxConcurrentUploads)
	}
	for _, m := range c.RegistryMirrors {
		if !strings.HasPrefix(m, "http://") && !strings.HasPrefix(m, "https://") {
			return fmt.Errorf("invalid mirror: unsupported scheme %q in %q", strings.SplitN(m, ":", 2)[0], m)
		}
	}
	if c.StorageDriver != "" && c.StorageDriver != "overlay2" && c.StorageDriver != "overlay" {
		return fmt.Errorf("error initializing graphdriver: driver not supported: %s", c.StorageDriver)
	}
	if err := logger.ValidateOpts(c.LogDriver, c.LogOpts); err != nil {
		return fmt.Errorf("failed to set log opts: %w", err)
	}
	if c.IPv6 && c.FixedCIDRv6 == "" && c.Bridge != "none" {
		return fmt.Errorf("--ipv6 needs --fixed-cidr-v6 for the default bridge")
	}
	for _, v := range []string{c.FixedCIDR, c.FixedCIDRv6} {
		if v != "" {
			if _, err := netip.ParsePrefix(v); err != nil {
				return fmt.Errorf("invalid CIDR %q: %w", v, err)
			}
		}
	}
	for _, p := range c.DefaultAddressPools {
		b, err := netip.ParsePrefix(p.Base)
		if err != nil || p.Size < b.Bits() || p.Size > b.Addr().BitLen() {
			return fmt.Errorf("invalid default address pool {base: %s, size: %d}", p.Base, p.Size)
		}
	}
	for name := range c.Runtimes {
		if name == "berth" || name == "runc" && c.Runtimes[name].Path == "" {
			return fmt.Errorf("runtime name '%s' is reserved", name)
		}
	}
	return nil
}
