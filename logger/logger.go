// Package logger holds what every log driver shares: the container facts
// a driver formats (Info, tag templates, extra attributes), the message
// type, the driver registry with Docker's option validation, and the
// non-blocking buffer. The drivers live in logger/<name>; berth-shim
// writes every container's local log (logger/jsonfile) and the daemon
// ships its lines to remote drivers, so the shim imports none of this.
package logger

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/docker/go-units"
	containertypes "github.com/moby/moby/api/types/container"
)

// Message is one log line (without its newline) from stdout or stderr.
type Message struct {
	Line      []byte
	Source    string // "stdout" or "stderr"
	Timestamp time.Time
}

// Driver ships messages somewhere. Log may block (blocking mode); the
// daemon wraps it in a Ring for mode=non-blocking.
type Driver interface {
	Log(*Message) error
	Close() error
}

// Factory makes a driver for one container.
type Factory struct {
	// New connects the driver; nil for drivers that only store locally
	// (json-file, local, none), which the shim implements.
	New func(Info) (Driver, error)
	// Validate checks the driver's own options (mode, max-buffer-size
	// and the cache-* options are checked here in the package).
	Validate func(map[string]string) error
}

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a driver known by name.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	factories[name] = f
}

// Lookup returns the driver's factory.
func Lookup(name string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := factories[name]
	return f, ok
}

// Names lists the registered drivers (docker info's Plugins.Log).
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// builtIn are options every driver accepts: the delivery mode and the
// local cache that keeps `docker logs` working for remote drivers.
var builtIn = map[string]bool{"mode": true, "max-buffer-size": true,
	"cache-disabled": true, "cache-max-size": true, "cache-max-file": true, "cache-compress": true}

// DefaultMaxBufferSize is Docker's ring size for mode=non-blocking.
const DefaultMaxBufferSize = 1 << 20

// ValidateOpts gives Docker's errors for a driver and its options, in
// Docker's order.
func ValidateOpts(name string, cfg map[string]string) error {
	if name == "none" {
		return nil
	}
	switch containertypes.LogMode(cfg["mode"]) {
	case containertypes.LogModeBlocking, containertypes.LogModeNonBlock, containertypes.LogModeUnset:
	default:
		return fmt.Errorf("logger: logging mode not supported: %s", cfg["mode"])
	}
	if s, ok := cfg["max-buffer-size"]; ok {
		if containertypes.LogMode(cfg["mode"]) != containertypes.LogModeNonBlock {
			return fmt.Errorf("logger: max-buffer-size option is only supported with 'mode=%s'", containertypes.LogModeNonBlock)
		}
		if _, err := units.RAMInBytes(s); err != nil {
			return fmt.Errorf("error parsing option max-buffer-size: %w", err)
		}
	}
	for _, k := range []string{"cache-max-size"} {
		if v, ok := cfg[k]; ok {
			if _, err := units.RAMInBytes(v); err != nil {
				return fmt.Errorf("invalid %s: %w", k, err)
			}
		}
	}
	f, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("logger: no log driver named '%s' is registered", name)
	}
	own := map[string]string{}
	for k, v := range cfg {
		if !builtIn[k] {
			own[k] = v
		}
	}
	if f.Validate == nil {
		return nil
	}
	return f.Validate(own)
}

// Allow is a validator accepting exactly the listed options, with
// Docker's wording for the others.
func Allow(driver string, keys ...string) func(map[string]string) error {
	ok := map[string]bool{}
	for _, k := range keys {
		ok[k] = true
	}
	return func(cfg map[string]string) error {
		for k := range cfg {
			if !ok[k] {
				return fmt.Errorf("unknown log opt '%s' for %s log driver", k, driver)
			}
		}
		return nil
	}
}

// ErrClosed is returned by Log after Close.
var ErrClosed = errors.New("logger: closed")
