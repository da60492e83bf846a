// Package gelf is Docker's gelf log driver: GELF 1.1 JSON messages over
// udp (compressed, chunked when large) or tcp (null-byte delimited).
package gelf

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/berth-project/berth/logger"
)

// Name is the driver's name in --log-driver.
const Name = "gelf"

// Factory registers the driver.
func Factory() logger.Factory { return logger.Factory{New: New, Validate: Validate} }

var allowed = logger.Allow(Name, "gelf-address", "gelf-compression-type", "gelf-compression-level",
	"gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay", "tag", "labels", "labels-regex", "env", "env-regex")

// Validate gives Docker's errors for the gelf options.
func Validate(cfg map[string]string) error {
	if err := allowed(cfg); err != nil {
		return err
	}
	if _, _, err := address(cfg["gelf-address"]); err != nil {
		return err
	}
	switch cfg["gelf-compression-type"] {
	case "", "gzip", "zlib", "none":
	default:
		return errors.New("gelf: invalid compression type")
	}
	if v, ok := cfg["gelf-compression-level"]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < -1 || n > 9 {
			return errors.New("gelf: invalid compression level")
		}
	}
	return nil
}

func address(a string) (string, string, error) {
	if a == "" {
		return "", "", errors.New("gelf-address is a required parameter")
	}
	proto, addr, err := logger.ParseAddress(a)
	if err != nil {
		return "", "", err
	}
	if proto != "udp" && proto != "tcp" {
		return "", "", errors.New("gelf: endpoint needs to be TCP or UDP")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", errors.New("gelf: please provide gelf-address as proto://host:port")
	}
	return proto, addr, nil
}

type driver struct {
	mu       sync.Mutex
	proto    string
	addr     string
	conn     net.Conn
	ctype    string
	level    int
	base     map[string]any
	hostname string
}

// New dials the endpoint.
func New(info logger.Info) (logger.Driver, error) {
	proto, addr, err := address(info.Config["gelf-address"])
	if err != nil {
		return nil, err
	}
	tag, err := info.Tag("{{.ID}}")
	if err != nil {
		return nil, err
	}
	extra, err := info.ExtraAttributes(func(k string) string { return "_" + k })
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	base := map[string]any{
		"_container_id": info.ContainerID, "_container_name": info.Name(), "_image_id": info.ContainerImageID,
		"_image_name": info.ContainerImageName, "_command": info.Command(), "_tag": tag,
		"_created": info.ContainerCreated.Format(time.RFC3339Nano),
	}
	for k, v := range extra {
		base[k] = v
	}
	level := -1
	if v := info.Config["gelf-compression-level"]; v != "" {
		level, _ = strconv.Atoi(v)
	}
	ctype := info.Config["gelf-compression-type"]
	if ctype == "" {
		ctype = "gzip"
	}
	d := &driver{proto: proto, addr: addr, ctype: ctype, level: level, base: base, hostname: host}
	if err := d.dial(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *driver) dial() error {
	c, err := net.DialTimeout(d.proto, d.addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("gelf: cannot connect to GELF endpoint: %s %w", d.addr, err)
	}
	d.conn = c
	return nil
}

func (d *driver) message(m *logger.Message) ([]byte, error) {
	level := 6
	if m.Source == "stderr" {
		level = 3
	}
	msg := map[string]any{"version": "1.1", "host": d.hostname, "short_message": string(m.Line),
		"timestamp": float64(m.Timestamp.UnixNano()) / 1e9, "level": level}
	for k, v := range d.base {
		msg[k] = v
	}
	return json.Marshal(msg)
}

// Log sends one GELF message.
func (d *driver) Log(m *logger.Message) error {
	b, err := d.message(m)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		if err := d.dial(); err != nil {
			return err
		}
	}
	if d.proto == "tcp" {
		_, err = d.conn.Write(append(b, 0))
		if err != nil {
			d.conn.Close()
			d.conn = nil
		}
		return err
	}
	if b, err = compress(d.ctype, d.level, b); err != nil {
		return err
	}
	return writeUDP(d.conn, b)
}

func compress(kind string, level int, b []byte) ([]byte, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch kind {
	case "none":
		return b, nil
	case "zlib":
		w, err = zlib.NewWriterLevel(&buf, level)
	default:
		w, err = gzip.NewWriterLevel(&buf, level)
	}
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// GELF's UDP chunking: datagrams of at most chunkSize bytes, each with
// the magic bytes, a message ID, its sequence number and the count.
const (
	chunkSize = 1420
	chunkData = chunkSize - 12
	maxChunks = 128
)

func writeUDP(c net.Conn, b []byte) error {
	if len(b) <= chunkSize {
		_, err := c.Write(b)
		return err
	}
	n := (len(b) + chunkData - 1) / chunkData
	if n > maxChunks {
		return fmt.Errorf("gelf: message of %d bytes needs %d chunks (max %d)", len(b), n, maxChunks)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	for i := 0; i < n; i++ {
		part := b[i*chunkData : min((i+1)*chunkData, len(b))]
		pkt := append(append([]byte{0x1e, 0x0f}, id...), byte(i), byte(n))
		if _, err := c.Write(append(pkt, part...)); err != nil {
			return err
		}
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
