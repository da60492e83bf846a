// Package fluentd is Docker's fluentd log driver: the forward protocol's
// Message mode ([tag, time, record] in msgpack) over tcp or a unix
// socket.
package fluentd

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/logger"
)

// Name is the driver's name in --log-driver.
const Name = "fluentd"

// Factory registers the driver.
func Factory() logger.Factory { return logger.Factory{New: New, Validate: Validate} }

var allowed = logger.Allow(Name, "env", "env-regex", "labels", "labels-regex", "tag", "fluentd-address",
	"fluentd-async", "fluentd-async-connect", "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries",
	"fluentd-sub-second-precision", "fluentd-request-ack", "fluentd-write-timeout")

// Validate gives Docker's errors for the fluentd options.
func Validate(cfg map[string]string) error {
	if err := allowed(cfg); err != nil {
		return err
	}
	if _, _, err := address(cfg["fluentd-address"]); err != nil {
		return err
	}
	for _, k := range []string{"fluentd-async", "fluentd-async-connect", "fluentd-sub-second-precision", "fluentd-request-ack"} {
		if v, ok := cfg[k]; ok {
			if _, err := strconv.ParseBool(v); err != nil {
				return err
			}
		}
	}
	if _, ok := cfg["fluentd-request-ack"]; ok && cfg["fluentd-request-ack"] == "true" {
		return errors.New("fluentd-request-ack: not implemented")
	}
	return nil
}

// address: "host:port", "tcp://host:port" or "unix:///path"; default
// localhost:24224.
func address(a string) (string, string, error) {
	if a == "" {
		return "tcp", "127.0.0.1:24224", nil
	}
	proto, rest := "tcp", a
	if p, r, ok := strings.Cut(a, "://"); ok {
		proto, rest = p, r
	}
	switch proto {
	case "unix":
		if rest == "" {
			return "", "", fmt.Errorf("invalid fluentd-address %s: path is empty", a)
		}
		return proto, rest, nil
	case "tcp", "tls":
		if proto == "tls" {
			return "", "", fmt.Errorf("invalid fluentd-address %s: tls is not implemented", a)
		}
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			host, port = rest, "24224"
		}
		if _, err := strconv.Atoi(port); err != nil {
			return "", "", fmt.Errorf("invalid fluentd-address %s: invalid port", a)
		}
		if host == "" {
			host = "127.0.0.1"
		}
		return proto, net.JoinHostPort(host, port), nil
	}
	return "", "", fmt.Errorf("invalid fluentd-address %s: unsupported protocol %q", a, proto)
}

type driver struct {
	mu        sync.Mutex
	proto     string
	addr      string
	conn      net.Conn
	tag       string
	base      map[string]string
	subSecond bool
}

// New connects (fluentd-async: later, in the background of the first
// Log, as Docker's async mode does).
func New(info logger.Info) (logger.Driver, error) {
	proto, addr, err := address(info.Config["fluentd-address"])
	if err != nil {
		return nil, err
	}
	tag, err := info.Tag("{{.ID}}")
	if err != nil {
		return nil, err
	}
	extra, err := info.ExtraAttributes(nil)
	if err != nil {
		return nil, err
	}
	extra["container_id"] = info.ContainerID
	extra["container_name"] = info.ContainerName
	sub, _ := strconv.ParseBool(info.Config["fluentd-sub-second-precision"])
	d := &driver{proto: proto, addr: addr, tag: tag, base: extra, subSecond: sub}
	async, _ := strconv.ParseBool(info.Config["fluentd-async"])
	if ac, _ := strconv.ParseBool(info.Config["fluentd-async-connect"]); ac {
		async = true
	}
	if !async {
		if err := d.dial(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *driver) dial() error {
	c, err := net.DialTimeout(d.proto, d.addr, 3*time.Second)
	if err != nil {
		return fmt.Errorf("fluent#New: %w", err)
	}
	d.conn = c
	return nil
}

// Log sends one record, reconnecting once after a broken connection.
func (d *driver) Log(m *logger.Message) error {
	rec := make(map[string]string, len(d.base)+2)
	for k, v := range d.base {
		rec[k] = v
	}
	rec["source"] = m.Source
	rec["log"] = string(m.Line)
	b := message(d.tag, m.Timestamp, d.subSecond, rec)
	d.mu.Lock()
	defer d.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		if d.conn == nil {
			if err := d.dial(); err != nil {
				return err
			}
		}
		if _, err := d.conn.Write(b); err == nil {
			return nil
		}
		d.conn.Close()
		d.conn = nil
	}
	return errors.New("fluentd: write failed")
}

func (d *driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		return d.conn.Close()
	}
	return nil
}
