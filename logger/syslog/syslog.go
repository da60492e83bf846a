// Package syslog is Docker's syslog log driver: RFC 3164 or RFC 5424
// lines over udp, tcp or a unix socket.
package syslog

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/logger"
)

// Name is the driver's name in --log-driver.
const Name = "syslog"

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// Factory registers the driver.
func Factory() logger.Factory {
	return logger.Factory{New: New, Validate: Validate}
}

var allowed = logger.Allow(Name, "env", "env-regex", "labels", "labels-regex", "syslog-address", "syslog-facility",
	"syslog-tls-ca-cert", "syslog-tls-cert", "syslog-tls-key", "syslog-tls-skip-verify", "tag", "syslog-format")

// Validate gives Docker's errors for the syslog options.
func Validate(cfg map[string]string) error {
	if err := allowed(cfg); err != nil {
		return err
	}
	if _, _, err := address(cfg["syslog-address"]); err != nil {
		return err
	}
	if _, err := facility(cfg["syslog-facility"]); err != nil {
		return err
	}
	if _, err := formatter(cfg["syslog-format"]); err != nil {
		return err
	}
	if strings.HasPrefix(cfg["syslog-address"], "tcp+tls://") {
		return errors.New("syslog: tcp+tls is not implemented")
	}
	return nil
}

func address(a string) (proto, addr string, err error) {
	if a == "" {
		return "unixgram", "/dev/log", nil
	}
	proto, addr, err = logger.ParseAddress(a)
	if err != nil {
		return "", "", err
	}
	switch proto {
	case "unix", "unixgram":
		return proto, addr, nil
	case "udp", "tcp", "tcp+tls":
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "514")
		}
		return proto, addr, nil
	}
	return "", "", fmt.Errorf("unsupported scheme: '%s'", proto)
}

func facility(f string) (int, error) {
	if f == "" {
		return facilities["daemon"], nil
	}
	if n, ok := facilities[f]; ok {
		return n, nil
	}
	var n int
	if _, err := fmt.Sscanf(f, "%d", &n); err == nil && n >= 0 && n <= 23 {
		return n, nil
	}
	return 0, errors.New("invalid syslog facility")
}

type formatFunc func(pri int, t time.Time, host, tag string, pid int, msg string) string

func formatter(f string) (formatFunc, error) {
	switch f {
	case "":
		// srslog's default: RFC 3339 time, as Docker sends without a format.
		return func(pri int, t time.Time, host, tag string, pid int, msg string) string {
			return fmt.Sprintf("<%d>%s %s %s[%d]: %s", pri, t.Format(time.RFC3339), host, tag, pid, msg)
		}, nil
	case "rfc3164":
		return func(pri int, t time.Time, host, tag string, pid int, msg string) string {
			return fmt.Sprintf("<%d>%s %s %s[%d]: %s", pri, t.Format(time.Stamp), host, tag, pid, msg)
		}, nil
	case "rfc5424", "rfc5424micro":
		layout := "2006-01-02T15:04:05Z07:00"
		if f == "rfc5424micro" {
			layout = "2006-01-02T15:04:05.000000Z07:00"
		}
		return func(pri int, t time.Time, host, tag string, pid int, msg string) string {
			return fmt.Sprintf("<%d>1 %s %s %s %d %s - %s", pri, t.Format(layout), host, tag, pid, tag, msg)
		}, nil
	}
	return nil, errors.New("Invalid syslog format")
}

type driver struct {
	mu     sync.Mutex
	proto  string
	addr   string
	conn   net.Conn
	fac    int
	tag    string
	host   string
	format formatFunc
}

// New connects to the syslog address (the daemon's clear error when it
// cannot).
func New(info logger.Info) (logger.Driver, error) {
	proto, addr, err := address(info.Config["syslog-address"])
	if err != nil {
		return nil, err
	}
	fac, err := facility(info.Config["syslog-facility"])
	if err != nil {
		return nil, err
	}
	format, err := formatter(info.Config["syslog-format"])
	if err != nil {
		return nil, err
	}
	tag, err := info.Tag("{{.ID}}")
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	d := &driver{proto: proto, addr: addr, fac: fac, tag: tag, host: host, format: format}
	if err := d.dial(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *driver) dial() error {
	c, err := net.DialTimeout(d.proto, d.addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	d.conn = c
	return nil
}

// Log sends one message: info for stdout, err for stderr, reconnecting
// once when a stream connection broke.
func (d *driver) Log(m *logger.Message) error {
	sev := 6
	if m.Source == "stderr" {
		sev = 3
	}
	line := d.format(d.fac*8+sev, m.Timestamp.Local(), d.host, d.tag, os.Getpid(), string(m.Line))
	if d.proto == "tcp" && !strings.HasSuffix(line, "\n") {
		line += "\n" // stream transports are newline framed
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		if err := d.dial(); err != nil {
			return err
		}
	}
	if _, err := d.conn.Write([]byte(line)); err != nil {
		d.conn.Close()
		d.conn = nil
		if err := d.dial(); err != nil {
			return err
		}
		_, err = d.conn.Write([]byte(line))
		return err
	}
	return nil
}

func (d *driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		return d.conn.Close()
	}
	return nil
}
