package daemon

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/daemon/config"
	eventtypes "github.com/moby/moby/api/types/events"
)

// Reloading (SIGHUP) re-reads daemon.json and applies the keys dockerd
// applies without a restart that berth has: debug, live-restore and
// default-runtime. A file that does not parse or validate leaves the
// running configuration as it was.

// ReloadSource tells the daemon where its configuration file is and which
// keys came as flags (those cannot also be in the file).
type ReloadSource struct {
	Path     string
	Optional bool // the default path: a missing file is an empty one
	FlagsSet map[string]bool
	Level    *slog.LevelVar // the logger's level, switched by "debug"
}

// SetReloadSource enables SIGHUP reloads.
func (d *Daemon) SetReloadSource(r ReloadSource) { d.reloadSrc = &r }

func (d *Daemon) reload() {
	if err := d.doReload(); err != nil {
		d.log.Error("error reloading the configuration", "err", err)
	}
}

func (d *Daemon) doReload() error {
	r := d.reloadSrc
	if r == nil {
		return fmt.Errorf("no configuration file to reload")
	}
	file, set, err := config.LoadFile(r.Path, r.Optional)
	if err != nil {
		return err
	}
	var both []string
	for k := range set {
		if r.FlagsSet[k] {
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		sort.Strings(both)
		return fmt.Errorf("the following directives are specified both as a flag and in the configuration file: %s", strings.Join(both, ", "))
	}
	if set["default-runtime"] {
		if err := d.lifecycle.SetDefaultRuntime(file.DefaultRuntime); err != nil {
			return err
		}
		d.cfg.DefaultRuntime = file.DefaultRuntime
	}
	if set["debug"] {
		d.cfg.Debug = file.Debug
		if r.Level != nil {
			if file.Debug {
				r.Level.Set(slog.LevelDebug)
			} else {
				r.Level.Set(slog.LevelInfo)
			}
		}
	}
	if set["live-restore"] {
		d.cfg.LiveRestore = file.LiveRestore
	}
	attrs := map[string]string{
		"debug":           strconv.FormatBool(d.cfg.Debug),
		"live-restore":    strconv.FormatBool(d.cfg.LiveRestore),
		"default-runtime": d.cfg.DefaultRuntime,
		"log-driver":      d.cfg.LogDriver,
	}
	d.events.Log(eventtypes.DaemonEventType, "reload", "berth", attrs)
	d.log.Info("Reloaded configuration", "debug", d.cfg.Debug, "live-restore", d.cfg.LiveRestore, "default-runtime", d.cfg.DefaultRuntime)
	return nil
}
