package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/daemon/config"
	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// Serve listens on every configured host and blocks until SIGINT/SIGTERM
// or ctx ends, then shuts down.
func (d *Daemon) Serve(ctx context.Context) error {
	// Like dockerd, always keep a pidfile (it also stops a second daemon
	// on the same roots); by default next to the socket in the exec root.
	pidfile := d.cfg.Pidfile
	if pidfile == "" {
		pidfile = filepath.Join(d.cfg.ExecRoot, "berth.pid")
	}
	if err := writePidfile(pidfile); err != nil {
		return err
	}
	defer os.Remove(pidfile)
	hosts := d.cfg.Hosts
	if len(hosts) == 0 {
		hosts = []string{"unix://" + filepath.Join(d.cfg.ExecRoot, "berth.sock")}
	}
	var listeners []net.Listener
	// Sockets systemd passed stay in place: berth.socket owns them.
	systemdOwned := map[net.Listener]bool{}
	for _, h := range hosts {
		if addr, ok := strings.CutPrefix(h, "fd://"); ok {
			ls, err := fdListeners(addr)
			if err != nil {
				for _, o := range listeners {
					o.Close()
				}
				d.Shutdown(ctx)
				return err
			}
			listeners = append(listeners, ls...)
			for _, l := range ls {
				systemdOwned[l] = true
			}
			continue
		}
		l, err := d.listen(h)
		if err != nil {
			for _, o := range listeners {
				o.Close()
			}
			// e.g. the port is taken: take down what New set up (bridge,
			// rules) rather than leave it behind.
			d.Shutdown(ctx)
			return err
		}
		listeners = append(listeners, l)
	}
	errCh := make(chan error, len(listeners)+1)
	for _, l := range listeners {
		go func(l net.Listener) { errCh <- d.server.Serve(l) }(l)
		d.log.Info("API listening", "addr", l.Addr().String())
	}
	stopMetrics, err := d.serveMetrics(errCh)
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		d.Shutdown(ctx)
		return err
	}
	defer stopMetrics()
	// Type=notify units (contrib/systemd/berth.service) wait for this.
	_, _ = sddaemon.SdNotify(false, sddaemon.SdNotifyReady)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
wait:
	for {
		select {
		case s := <-sig:
			if s == syscall.SIGHUP {
				d.reload()
				continue
			}
			d.log.Info("shutting down", "signal", s.String())
		case <-ctx.Done():
		case err = <-errCh:
		}
		break wait
	}
	_, _ = sddaemon.SdNotify(false, sddaemon.SdNotifyStopping)
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d.Shutdown(sctx)
	for _, l := range listeners {
		if u, ok := l.Addr().(*net.UnixAddr); ok && !systemdOwned[l] {
			os.Remove(u.Name)
		}
	}
	return err
}

// listen opens one -H address: unix://path (fd:// is socket activation,
// see activation.go),
// tcp:// only on loopback unless TLS is configured (an open Engine API is
// root on the host).
func (d *Daemon) listen(host string) (net.Listener, error) {
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		if strings.HasPrefix(host, "/") {
			proto, addr = "unix", host
		} else {
			return nil, fmt.Errorf("invalid bind address format: %s", host)
		}
	}
	switch proto {
	case "unix":
		if err := os.MkdirAll(filepath.Dir(addr), 0o711); err != nil {
			return nil, err
		}
		if c, err := net.DialTimeout("unix", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s is in use by another daemon", addr)
		}
		_ = os.Remove(addr)
		l, err := net.Listen("unix", addr)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(addr, 0o660); err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	case "tcp":
		tlsCfg, err := tlsConfig(d.cfg)
		if err != nil {
			return nil, err
		}
		if addr, err = tcpAddr(host, addr, tlsCfg != nil); err != nil {
			return nil, err
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		if tlsCfg != nil {
			l = tls.NewListener(l, tlsCfg)
		}
		return l, nil
	}
	return nil, fmt.Errorf("invalid bind address protocol: %s", proto)
}

// tcpAddr checks a tcp:// host: an address without TLS must be on
// loopback (an open Engine API is root on the host).
func tcpAddr(host, addr string, withTLS bool) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:2375"
	}
	hostPart, portPart, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("invalid bind address %s: %w", host, err)
	}
	if _, err := strconv.Atoi(portPart); err != nil {
		return "", fmt.Errorf("invalid bind address %s: bad port", host)
	}
	if !withTLS {
		ip, perr := netip.ParseAddr(hostPart)
		if hostPart != "localhost" && (perr != nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("refusing to listen on %s without TLS: use a loopback address or --tlsverify with --tlscacert/--tlscert/--tlskey", host)
		}
	}
	return addr, nil
}

// checkHosts refuses bad -H addresses and TLS settings before the daemon
// sets anything up (bridge, rules, store), so a refusal leaves nothing.
func checkHosts(c *config.Config) error {
	var tlsCfg *tls.Config
	for _, h := range c.Hosts {
		proto, addr, _ := strings.Cut(h, "://")
		if proto != "tcp" {
			continue
		}
		if tlsCfg == nil {
			var err error
			if tlsCfg, err = tlsConfig(c); err != nil {
				return err
			}
		}
		if _, err := tcpAddr(h, addr, tlsCfg != nil); err != nil {
			return err
		}
	}
	return nil
}

func tlsConfig(c *config.Config) (*tls.Config, error) {
	if !c.TLS && !c.TLSVerify {
		return nil, nil
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		return nil, errors.New("TLS requires --tlscert and --tlskey")
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSVerify {
		if c.TLSCACert == "" {
			return nil, errors.New("--tlsverify requires --tlscacert")
		}
		pem, err := os.ReadFile(c.TLSCACert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("no certificates in --tlscacert")
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// writePidfile refuses to start when the pidfile names a live process.
func writePidfile(path string) error {
	if data, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid != os.Getpid() {
			if syscall.Kill(pid, 0) == nil {
				return fmt.Errorf("pid file found, ensure berth is not running or delete %s", path)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644)
}
