// Package journald is Docker's journald log driver: the journal's native
// protocol (KEY=value datagrams) on its socket, with Docker's fields.
package journald

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/berth-project/berth/logger"
)

// Name is the driver's name in --log-driver.
const Name = "journald"

// SocketPath is journald's native socket; BERTH_JOURNAL_SOCKET points
// tests at their own listener.
var SocketPath = "/run/systemd/journal/socket"

func socketPath() string {
	if p := os.Getenv("BERTH_JOURNAL_SOCKET"); p != "" {
		return p
	}
	return SocketPath
}

// Factory registers the driver.
func Factory() logger.Factory {
	return logger.Factory{New: New, Validate: logger.Allow(Name, "labels", "labels-regex", "env", "env-regex", "tag")}
}

// ErrNotRunning is Docker's error where there is no journal.
var ErrNotRunning = errors.New("journald is not enabled on this host")

type driver struct {
	mu     sync.Mutex
	conn   *net.UnixConn
	fields map[string]string
}

// New checks that journald runs and prepares the container's fields.
func New(info logger.Info) (logger.Driver, error) {
	p := socketPath()
	if _, err := os.Stat(p); err != nil {
		return nil, ErrNotRunning
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		return nil, ErrNotRunning
	}
	tag, err := info.Tag("{{.ID}}")
	if err != nil {
		return nil, err
	}
	fields := map[string]string{
		"CONTAINER_ID": info.ID(), "CONTAINER_ID_FULL": info.ContainerID, "CONTAINER_NAME": info.Name(),
		"CONTAINER_TAG": tag, "IMAGE_NAME": info.ImageName(), "SYSLOG_IDENTIFIER": tag,
	}
	extra, err := info.ExtraAttributes(sanitize)
	if err != nil {
		return nil, err
	}
	for k, v := range extra {
		fields[k] = v
	}
	return &driver{conn: c, fields: fields}, nil
}

// sanitize makes a journal field name: upper case, letters, digits and
// underscores, not starting with one (Docker's rule).
func sanitize(k string) string {
	k = strings.ToUpper(k)
	k = strings.Map(func(r rune) rune {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, k)
	return strings.TrimLeft(k, "_")
}

// encode writes fields in the native format; values with newlines use
// the length-prefixed form.
func encode(fields map[string]string) []byte {
	var b bytes.Buffer
	for k, v := range fields {
		if strings.ContainsRune(v, '\n') {
			b.WriteString(k)
			b.WriteByte('\n')
			_ = binary.Write(&b, binary.LittleEndian, uint64(len(v)))
			b.WriteString(v)
			b.WriteByte('\n')
			continue
		}
		b.WriteString(k + "=" + v + "\n")
	}
	return b.Bytes()
}

func (d *driver) Log(m *logger.Message) error {
	f := make(map[string]string, len(d.fields)+2)
	for k, v := range d.fields {
		f[k] = v
	}
	f["MESSAGE"] = string(m.Line)
	f["PRIORITY"] = "6"
	if m.Source == "stderr" {
		f["PRIORITY"] = "3"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.conn.Write(encode(f))
	return err
}

func (d *driver) Close() error { return d.conn.Close() }
