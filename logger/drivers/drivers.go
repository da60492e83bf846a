// Package drivers registers every log driver berth has: the local ones
// the shim writes (json-file, local, none) and the remote ones the
// daemon ships to.
package drivers

import (
	"fmt"
	"strconv"

	"github.com/berth-project/berth/logger"
	"github.com/berth-project/berth/logger/fluentd"
	"github.com/berth-project/berth/logger/gelf"
	"github.com/berth-project/berth/logger/journald"
	"github.com/berth-project/berth/logger/syslog"
	"github.com/docker/go-units"
)

func init() {
	logger.Register("json-file", logger.Factory{Validate: validateFile("json-file", "max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag")})
	logger.Register("local", logger.Factory{Validate: validateFile("local", "max-file", "max-size", "compress")})
	logger.Register("none", logger.Factory{})
	logger.Register(syslog.Name, syslog.Factory())
	logger.Register(gelf.Name, gelf.Factory())
	logger.Register(fluentd.Name, fluentd.Factory())
	logger.Register(journald.Name, journald.Factory())
}

// Remote reports whether the daemon ships a driver's lines (the shim then
// keeps only the local cache).
func Remote(name string) bool {
	f, ok := logger.Lookup(name)
	return ok && f.New != nil
}

func validateFile(driver string, keys ...string) func(map[string]string) error {
	allow := logger.Allow(driver, keys...)
	return func(cfg map[string]string) error {
		if err := allow(cfg); err != nil {
			return err
		}
		if v, ok := cfg["max-size"]; ok {
			if _, err := units.RAMInBytes(v); err != nil {
				return fmt.Errorf("failed to parse max-size: %s", v)
			}
		}
		if v, ok := cfg["max-file"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return err
			}
			if n < 1 {
				return fmt.Errorf("max-file cannot be less than 1")
			}
		}
		if v, ok := cfg["compress"]; ok {
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("error reading compress log option: %w", err)
			}
		}
		return nil
	}
}
