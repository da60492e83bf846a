// Package command holds what every CLI command group shares: the Cli value
// (API client plus the process's standard streams with terminal detection)
// and the StatusError type that carries an exit code back to cli.Run.
package command

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/moby/moby/client"
	"github.com/moby/term"
)

// DefaultHost is where the berth daemon listens unless -H or DOCKER_HOST say otherwise.
const DefaultHost = "unix:///run/berth/berth.sock"

// Cli is handed to every command constructor. The API client is created
// lazily so that `--help` and usage errors never need a daemon.
type Cli struct {
	in  io.ReadCloser
	out io.Writer
	err io.Writer

	// Name is the program name shown in messages ("docker" or "berth").
	Name string
	// Host is the daemon address chosen from -H / DOCKER_HOST / DefaultHost.
	Host string
	// ConfigDir is the --config directory (accepted for compatibility).
	ConfigDir string
	// Debug is set by -D/--debug.
	Debug bool
	// TLS, when set, is used to talk to a tcp:// host (https).
	TLS *tls.Config

	mu        sync.Mutex
	client    *client.Client
	clientErr error
	// ClientOpts are extra options for the API client (tests inject an
	// httptest transport through them).
	ClientOpts []client.Opt
}

// NewCli returns a Cli over the given streams; nil streams default to the
// process's own.
func NewCli(in io.ReadCloser, out, errw io.Writer) *Cli {
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	if errw == nil {
		errw = os.Stderr
	}
	return &Cli{in: in, out: out, err: errw, Name: "docker", Host: DefaultHost}
}

// In is the standard input stream.
func (c *Cli) In() io.ReadCloser { return c.in }

// Out is the standard output stream.
func (c *Cli) Out() io.Writer { return c.out }

// Err is the standard error stream.
func (c *Cli) Err() io.Writer { return c.err }

// InFd returns stdin's file descriptor and whether it is a terminal.
func (c *Cli) InFd() (uintptr, bool) { return term.GetFdInfo(c.in) }

// OutFd returns stdout's file descriptor and whether it is a terminal.
func (c *Cli) OutFd() (uintptr, bool) { return term.GetFdInfo(c.out) }

// IsInTerminal reports whether stdin is a terminal.
func (c *Cli) IsInTerminal() bool { _, ok := c.InFd(); return ok }

// IsOutTerminal reports whether stdout is a terminal.
func (c *Cli) IsOutTerminal() bool { _, ok := c.OutFd(); return ok }

// Client returns the API client, creating it on first use. Creation only
// fails for a malformed host; that error is reported by ClientErr and the
// returned client is then nil-safe only via ClientErr checks, so Run
// validates the host before any command runs.
func (c *Cli) Client() *client.Client {
	cl, _ := c.NewClient()
	return cl
}

// NewClient is Client with the construction error exposed.
func (c *Cli) NewClient() (*client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil || c.clientErr != nil {
		return c.client, c.clientErr
	}
	var opts []client.Opt
	if c.TLS != nil {
		// Before WithHost, which configures this transport's dialer.
		opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: c.TLS}}))
	}
	opts = append(opts, client.WithHost(c.Host), client.WithUserAgent("Docker-Client/berth"))
	opts = append(opts, client.WithAPIVersionFromEnv())
	opts = append(opts, c.ClientOpts...)
	c.client, c.clientErr = client.New(opts...)
	return c.client, c.clientErr
}

// StatusError makes Run exit with StatusCode after printing Status (if any)
// to stderr.
type StatusError struct {
	Status     string
	StatusCode int
}

func (e StatusError) Error() string { return e.Status }
