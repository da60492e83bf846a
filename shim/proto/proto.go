// Package proto is the wire format between berth-shim and the daemon's
// shim client: one JSON request line, one JSON response line, then (for
// attach and exec) stdcopy-framed output and raw stdin. It is shared by both
// sides and imports only the standard library and runtime-spec, so it adds
// nothing to the shim's start-up cost.
package proto

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Ops.
const (
	OpStart      = "start"
	OpState      = "state"
	OpWait       = "wait"
	OpKill       = "kill"
	OpAttach     = "attach"
	OpResize     = "resize"
	OpExec       = "exec"
	OpResizeExec = "resize-exec"
	OpPause      = "pause"
	OpResume     = "resume"
	OpUpdate     = "update"
	OpPids       = "pids"
	// Monitor (group mode) ops, on the monitor's own socket.
	OpCreate = "create" // create one container; answers with Ready's pid or error
	OpHold   = "hold"   // keep the monitor alive while this connection is open
)

// Files in the bundle directory.
const (
	SocketFile = "shim.sock"
	PidFile    = "shim.pid"
	ExitFile   = "exit.json"
	LogFile    = "shim.log"
)

// Files in a monitor's directory (group mode).
const (
	MonitorSocketFile = "monitor.sock"
	MonitorPidFile    = "monitor.pid"
	MonitorLogFile    = "monitor.log"
)

// Stream bytes of a frame header.
const (
	Stdin  = 0
	Stdout = 1
	Stderr = 2
	// ExitFrame ends an exec stream; its payload is ExecExit JSON.
	ExitFrame = 255
)

// Request is the first line of every connection.
type Request struct {
	Op        string                `json:"op"`
	Signal    int                   `json:"signal,omitempty"`
	All       bool                  `json:"all,omitempty"`
	Stdin     bool                  `json:"stdin,omitempty"`
	Stdout    bool                  `json:"stdout,omitempty"`
	Stderr    bool                  `json:"stderr,omitempty"`
	Height    uint16                `json:"h,omitempty"`
	Width     uint16                `json:"w,omitempty"`
	ExecID    string                `json:"execID,omitempty"`
	Process   *specs.Process        `json:"process,omitempty"`
	Tty       bool                  `json:"tty,omitempty"`
	Resources *specs.LinuxResources `json:"resources,omitempty"`
	Create    *Create               `json:"create,omitempty"`
}

// Create describes a container for OpCreate: the same settings the
// single-container shim takes as flags.
type Create struct {
	ID          string `json:"id"`
	Bundle      string `json:"bundle"`
	Runtime     string `json:"runtime,omitempty"`
	RuntimeRoot string `json:"runtimeRoot"`
	LogPath     string `json:"logPath,omitempty"`
	LogMaxSize  int64  `json:"logMaxSize,omitempty"`
	LogMaxFile  int    `json:"logMaxFile,omitempty"`
	LogCompress bool   `json:"logCompress,omitempty"`
	Stdin       bool   `json:"stdin,omitempty"`
	StdinOnce   bool   `json:"stdinOnce,omitempty"`
	Tty         bool   `json:"tty,omitempty"`
}

// Response answers a request; Error empty means success.
type Response struct {
	Error     string    `json:"error,omitempty"`
	Pid       int       `json:"pid,omitempty"`
	Status    string    `json:"status,omitempty"`
	ExitCode  int       `json:"exitCode"`
	ExitedAt  time.Time `json:"exitedAt,omitzero"`
	OOMKilled bool      `json:"oomKilled,omitempty"`
	Pids      []int     `json:"pids,omitempty"`
}

// Exit is the content of exit.json, and what the shim reports on fd 3 is
// Ready.
type Exit struct {
	ExitCode  int       `json:"exitCode"`
	ExitedAt  time.Time `json:"exitedAt"`
	OOMKilled bool      `json:"oomKilled"`
	Error     string    `json:"error,omitempty"`
}

// Ready is the one message the shim writes to its readiness pipe.
type Ready struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// ExecExit is the payload of an ExitFrame.
type ExecExit struct {
	ExitCode int `json:"exitCode"`
}

// WriteFrame writes one stdcopy frame.
func WriteFrame(w io.Writer, stream byte, p []byte) error {
	_, err := w.Write(Frame(stream, p))
	return err
}

// Frame encodes p as one stdcopy frame.
func Frame(stream byte, p []byte) []byte {
	buf := make([]byte, 8+len(p))
	buf[0] = stream
	binary.BigEndian.PutUint32(buf[4:], uint32(len(p)))
	copy(buf[8:], p)
	return buf
}

// ReadFrame reads one frame; buf is reused when large enough.
func ReadFrame(r io.Reader, buf []byte) (stream byte, p []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[4:]))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return hdr[0], buf, nil
}

// Marshal encodes v as one line.
func Marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return append(b, '\n')
}

// maxSocketPath keeps socket paths under the kernel's sun_path limit (108
// bytes including the terminating NUL).
const maxSocketPath = 100

// SocketPath is where the shim of the container in bundle listens: inside
// the bundle when the path fits in sun_path, else a short name derived
// from the bundle path under the exec root's "s" directory (bundles live
// at <exec-root>/containers/<id>), or under /run/berth-s as a last resort.
func SocketPath(bundle string) string {
	p := filepath.Join(bundle, SocketFile)
	if len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(bundle))
	name := hex.EncodeToString(sum[:10])
	p = filepath.Join(filepath.Dir(filepath.Dir(bundle)), "s", name)
	if len(p) <= maxSocketPath {
		return p
	}
	return filepath.Join("/run/berth-s", name)
}

// MonitorSocketPath is where the group monitor serving dir listens (dir,
// or a short name under /run/berth-s when dir is too deep for sun_path).
func MonitorSocketPath(dir string) string {
	p := filepath.Join(dir, MonitorSocketFile)
	if len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join("/run/berth-s", "m"+hex.EncodeToString(sum[:10]))
}
