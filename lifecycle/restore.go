package lifecycle

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
)

// Restore reconnects to the shims of containers that were running when the
// daemon stopped; containers whose shim is gone are marked exited with the
// status the shim recorded, and their run resources released.
func (s *Service) Restore(ctx context.Context) error {
	for _, c := range s.store.List() {
		c.Lock()
		if c.State.Removing {
			c.State.Removing = false
			c.State.Status = containertypes.StateDead
		}
		if c.HostConfig != nil && c.HostConfig.IpcMode.IsEmpty() {
			// Records from before create filled in the default: the
			// runtime has always treated empty as private.
			c.HostConfig.IpcMode = containertypes.IPCModePrivate
		}
		s.restoreMounts(c, c.IsRunning())
		if !c.IsRunning() {
			_ = s.store.Save(c)
			c.Unlock()
			continue
		}
		sh, err := client.Connect(ctx, s.bundleDir(c.ID))
		if err == nil {
			if _, merr := s.layers.Mount(c.ID); merr != nil {
				fmt.Fprintf(os.Stderr, "restore %s: remount: %v\n", c.ShortID(), merr)
			}
			s.mu.Lock()
			s.shims[c.ID] = sh
			s.mu.Unlock()
			if s.usesEmbeddedDNS(c) {
				if derr := s.startDNS(c, s.netnsPath(c.ID)); derr != nil {
					fmt.Fprintf(os.Stderr, "restore %s: %v\n", c.ShortID(), derr)
				}
			}
			s.startHealth(c, sh)
			s.restoreShipping(c)
			c.Unlock()
			go s.monitor(c, sh)
			continue
		}
		st, rerr := client.ReadExit(s.bundleDir(c.ID))
		if rerr != nil {
			st = client.ExitStatus{ExitCode: 255, ExitedAt: time.Now(), Error: "shim vanished while the daemon was down"}
			s.killOrphans(c.ID)
		}
		c.Unlock()
		// handleExit expects a mounted rootfs reference to drop; take one.
		_, _ = s.layers.Mount(c.ID)
		s.handleExit(c, st)
	}
	s.restartPolicyContainers(ctx)
	return nil
}
