package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/logger"
	"github.com/berth-project/berth/logger/drivers"
	"github.com/berth-project/berth/logger/jsonfile"
	"github.com/docker/go-units"
	containertypes "github.com/moby/moby/api/types/container"
)

// Remote log drivers, Docker's dual logging done our way: the shim writes
// every container's lines to the local file (the cache `docker logs`
// reads), and the daemon follows that file and ships each line to the
// driver. The shim stays small and a remote that is slow or down never
// blocks the container's output. The position shipped so far is kept in
// the container's directory, so a restarted daemon (live-restore) ships
// what was written while it was down, once.

// shipper follows one container's log file into its driver.
type shipper struct {
	driver  logger.Driver
	path    string
	posFile string
	since   time.Time
	// skip: records stamped exactly since that were shipped already (the
	// shim stamps all lines of one read with one time).
	skip   int
	cancel context.CancelFunc
	stop   chan struct{} // closed at exit: ship the rest, then close
	done   chan struct{}
}

// abort closes a driver opened for a start that failed.
func (sp *shipper) abort() {
	if sp != nil && sp.driver != nil && sp.done == nil {
		_ = sp.driver.Close()
	}
}

func (s *Service) logOpts(c *container.Container) map[string]string {
	// Create merged the daemon's options into the container's; records
	// made before that carry neither Type nor options.
	if c.HostConfig.LogConfig.Type != "" || len(c.HostConfig.LogConfig.Config) > 0 {
		return c.HostConfig.LogConfig.Config
	}
	return s.cfg.LogOpts
}

// logLimits are the local file's rotation: json-file's own options, the
// local driver's (Docker's defaults 20m x 5, compressed), or the cache
// options of a remote driver (same defaults).
func (s *Service) logLimits(c *container.Container) (int64, int, bool) {
	opts := s.logOpts(c)
	sizeKey, fileKey, compressKey := "max-size", "max-file", "compress"
	var size int64
	files, compress := 1, false
	switch drv := s.logDriver(c); {
	case drv == "local":
		size, files, compress = 20<<20, 5, true
	case drivers.Remote(drv):
		size, files, compress = 20<<20, 5, true
		sizeKey, fileKey, compressKey = "cache-max-size", "cache-max-file", "cache-compress"
	}
	if v := opts[sizeKey]; v != "" {
		size, _ = units.RAMInBytes(v)
	}
	if v := opts[fileKey]; v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			files = n
		}
	}
	if v := opts[compressKey]; v != "" {
		compress, _ = strconv.ParseBool(v)
	}
	return size, files, compress
}

func (s *Service) logInfo(c *container.Container) logger.Info {
	return logger.Info{
		Config: s.logOpts(c), ContainerID: c.ID, ContainerName: c.Name,
		ContainerEntrypoint: c.Path, ContainerArgs: c.Args, ContainerImageID: c.ImageID,
		ContainerImageName: c.Image, ContainerCreated: c.Created, ContainerEnv: c.Config.Env,
		ContainerLabels: c.Config.Labels, Daemon: "docker",
	}
}

// openLogDriver connects a remote driver before the container starts
// (c locked). In blocking mode (Docker's default) a driver that cannot
// connect fails the start, as Docker's does; with mode=non-blocking it
// is retried in the background and lines queue in a bounded buffer.
func (s *Service) openLogDriver(c *container.Container) (*shipper, error) {
	drv := s.logDriver(c)
	f, ok := logger.Lookup(drv)
	if !ok || f.New == nil || c.LogPath == "" {
		return nil, nil
	}
	info := s.logInfo(c)
	sp := &shipper{path: c.LogPath, posFile: filepath.Join(s.containerDir(c.ID), "log-ship.pos")}
	sp.since, sp.skip = readShipPos(sp.posFile)
	if sp.since.IsZero() {
		sp.since = time.Now().UTC()
	}
	if containertypes.LogMode(info.Config["mode"]) == containertypes.LogModeNonBlock {
		max := logger.DefaultMaxBufferSize
		if v := info.Config["max-buffer-size"]; v != "" {
			if n, err := units.RAMInBytes(v); err == nil {
				max = int(n)
			}
		}
		sp.driver = logger.NewRing(&lazyDriver{factory: f, info: info}, max)
		return sp, nil
	}
	d, err := f.New(info)
	if err != nil {
		return nil, errdefs.InvalidParameter("failed to create task for container: failed to initialize logging driver: %v", err)
	}
	sp.driver = d
	return sp, nil
}

// lazyDriver connects on first use and again after a failure, so a
// non-blocking container starts while its log listener is down.
type lazyDriver struct {
	factory logger.Factory
	info    logger.Info
	d       logger.Driver
	next    time.Time
}

func (l *lazyDriver) Log(m *logger.Message) error {
	if l.d == nil {
		if time.Now().Before(l.next) {
			return fmt.Errorf("log driver unavailable")
		}
		d, err := l.factory.New(l.info)
		if err != nil {
			l.next = time.Now().Add(time.Second)
			return err
		}
		l.d = d
	}
	if err := l.d.Log(m); err != nil {
		_ = l.d.Close()
		l.d = nil
		return err
	}
	return nil
}

func (l *lazyDriver) Close() error {
	if l.d != nil {
		return l.d.Close()
	}
	return nil
}

// startShipping follows the container's log into its driver (c locked).
func (s *Service) startShipping(c *container.Container, sp *shipper) {
	if sp == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sp.cancel, sp.stop, sp.done = cancel, make(chan struct{}), make(chan struct{})
	s.mu.Lock()
	if old := s.shippers[c.ID]; old != nil {
		old.cancel()
	}
	s.shippers[c.ID] = sp
	s.mu.Unlock()
	go sp.run(ctx)
}

// stopShipping ships what the container wrote before it exited, then
// closes the driver (in the background: a dead remote must not hold up
// the exit).
func (s *Service) stopShipping(id string) {
	s.mu.Lock()
	sp := s.shippers[id]
	delete(s.shippers, id)
	s.mu.Unlock()
	if sp != nil {
		close(sp.stop)
	}
}

func (sp *shipper) run(ctx context.Context) {
	defer close(sp.done)
	defer sp.cancel()
	in := jsonfile.Read(ctx, sp.path, jsonfile.ReadOptions{Tail: -1, Since: sp.since, Follow: true, StopFollow: sp.stop})
	var last time.Time
	same := 0 // records shipped with Time == last
	saved := time.Now()
	for m := range in {
		if m.Err != nil {
			continue
		}
		if sp.skip > 0 && m.Time.Equal(sp.since) {
			sp.skip--
			last, same = m.Time, same+1
			continue
		}
		line := bytes.TrimSuffix(m.Line, []byte{'\n'})
		_ = sp.driver.Log(&logger.Message{Line: line, Source: m.Stream, Timestamp: m.Time})
		if m.Time.Equal(last) {
			same++
		} else {
			last, same = m.Time, 1
		}
		// Save the position whenever the reader has caught up (at a
		// container's usual pace, after every line: a daemon killed then
		// ships nothing twice) and at least once a second under a flood
		// (then up to a second of lines may be shipped again: at least
		// once, never lost).
		if len(in) == 0 || time.Since(saved) > time.Second {
			writeShipPos(sp.posFile, last, same)
			saved = time.Now()
		}
	}
	if !last.IsZero() {
		writeShipPos(sp.posFile, last, same)
	}
	_ = sp.driver.Close()
}

// The position file holds "<time> <n>": the time of the last record
// shipped and how many records with exactly that time were shipped.
func readShipPos(p string) (time.Time, int) {
	b, err := os.ReadFile(p)
	if err != nil {
		return time.Time{}, 0
	}
	ts, ns, _ := strings.Cut(string(bytes.TrimSpace(b)), " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, 0
	}
	n, _ := strconv.Atoi(ns)
	return t, n
}

func writeShipPos(p string, t time.Time, n int) {
	tmp := p + ".tmp"
	if os.WriteFile(tmp, []byte(t.UTC().Format(time.RFC3339Nano)+" "+strconv.Itoa(n)), 0o600) == nil {
		_ = os.Rename(tmp, p)
	}
}

// restoreShipping resumes shipping for a container found running after a
// daemon restart, from the last position shipped (c locked).
func (s *Service) restoreShipping(c *container.Container) {
	sp, err := s.openLogDriver(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "restore %s: %v\n", c.ShortID(), err)
		return
	}
	s.startShipping(c, sp)
}
