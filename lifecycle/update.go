package lifecycle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/runtime/oci"
	containertypes "github.com/moby/moby/api/types/container"
)

// ContainerUpdate implements POST /containers/{id}/update.
func (s *Service) ContainerUpdate(ctx context.Context, name string, cfg *containertypes.UpdateConfig) (containertypes.UpdateResponse, error) {
	c, err := s.get(name)
	if err != nil {
		return containertypes.UpdateResponse{}, err
	}
	if cfg == nil {
		return containertypes.UpdateResponse{Warnings: []string{}}, nil
	}
	c.Lock()
	defer c.Unlock()
	if c.HostConfig.AutoRemove && cfg.RestartPolicy.Name != "" && cfg.RestartPolicy.Name != "no" {
		return containertypes.UpdateResponse{}, errdefs.InvalidParameter("Restart policy cannot be updated because AutoRemove is enabled for the container")
	}
	if err := containertypes.ValidateRestartPolicy(cfg.RestartPolicy); err != nil {
		return containertypes.UpdateResponse{}, errdefs.InvalidParameter("%v", err)
	}
	if c.State.Removing || c.State.Status == containertypes.StateDead {
		return containertypes.UpdateResponse{}, errdefs.Conflict("Cannot update container %s: container is marked for removal and cannot be \"update\"", c.ID)
	}
	warnings := discardUnsupported(&cfg.Resources)
	res := c.HostConfig.Resources
	if err := applyResources(&res, &cfg.Resources); err != nil {
		return containertypes.UpdateResponse{}, errdefs.Conflict("Cannot update container %s: %v", c.ID, err)
	}
	lr, err := oci.Resources(&res)
	if err != nil {
		return containertypes.UpdateResponse{}, err
	}
	if sh := s.shim(c.ID); sh != nil && c.IsRunning() {
		if err := sh.Update(ctx, lr); err != nil {
			return containertypes.UpdateResponse{}, errdefs.InvalidParameter("Cannot update container %s: %v", c.ID, err)
		}
	}
	c.HostConfig.Resources = res
	if cfg.RestartPolicy.Name != "" {
		c.HostConfig.RestartPolicy = cfg.RestartPolicy
		c.RestartManager().SetPolicy(cfg.RestartPolicy)
	}
	if err := s.store.Save(c); err != nil {
		return containertypes.UpdateResponse{}, err
	}
	s.logEvent(c, "update", nil)
	return containertypes.UpdateResponse{Warnings: warnings}, nil
}

// applyResources copies the fields `docker update` sets (non-zero ones)
// after Docker's checks against what the container already has: CFS
// quota/period and --cpus exclude each other, and a memory limit above
// the current swap limit needs the swap limit too.
func applyResources(dst, src *containertypes.Resources) error {
	switch {
	case src.NanoCPUs > 0 && dst.CPUPeriod > 0:
		return errors.New("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set")
	case src.NanoCPUs > 0 && dst.CPUQuota > 0:
		return errors.New("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set")
	case src.CPUPeriod > 0 && dst.NanoCPUs > 0:
		return errors.New("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set")
	case src.CPUQuota > 0 && dst.NanoCPUs > 0:
		return errors.New("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	}
	if src.Memory != 0 {
		swap := dst.MemorySwap
		if swap == 0 && dst.Memory > 0 {
			swap = dst.Memory * 2 // Docker's create default
		}
		if swap > 0 && src.Memory > swap && src.MemorySwap == 0 {
			return errors.New("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		if dst.MemorySwap == 0 && dst.Memory > 0 && src.MemorySwap == 0 {
			dst.MemorySwap = swap // keep the swap limit the kernel has
		}
		dst.Memory = src.Memory
	}
	if src.MemorySwap != 0 {
		dst.MemorySwap = src.MemorySwap
	}
	if src.MemoryReservation != 0 {
		dst.MemoryReservation = src.MemoryReservation
	}
	if src.NanoCPUs != 0 {
		dst.NanoCPUs = src.NanoCPUs
	}
	if src.CPUShares != 0 {
		dst.CPUShares = src.CPUShares
	}
	if src.CPUPeriod != 0 {
		dst.CPUPeriod = src.CPUPeriod
	}
	if src.CPUQuota != 0 {
		dst.CPUQuota = src.CPUQuota
	}
	if src.CPURealtimePeriod != 0 {
		dst.CPURealtimePeriod = src.CPURealtimePeriod
	}
	if src.CPURealtimeRuntime != 0 {
		dst.CPURealtimeRuntime = src.CPURealtimeRuntime
	}
	if src.CpusetCpus != "" {
		dst.CpusetCpus = src.CpusetCpus
	}
	if src.CpusetMems != "" {
		dst.CpusetMems = src.CpusetMems
	}
	if src.PidsLimit != nil {
		dst.PidsLimit = src.PidsLimit
	}
	if src.BlkioWeight != 0 {
		dst.BlkioWeight = src.BlkioWeight
	}
	// Per-device rules (API 1.55): nil leaves them, an empty list clears.
	if src.BlkioWeightDevice != nil {
		dst.BlkioWeightDevice = src.BlkioWeightDevice
	}
	if src.BlkioDeviceReadBps != nil {
		dst.BlkioDeviceReadBps = src.BlkioDeviceReadBps
	}
	if src.BlkioDeviceWriteBps != nil {
		dst.BlkioDeviceWriteBps = src.BlkioDeviceWriteBps
	}
	if src.BlkioDeviceReadIOps != nil {
		dst.BlkioDeviceReadIOps = src.BlkioDeviceReadIOps
	}
	if src.BlkioDeviceWriteIOps != nil {
		dst.BlkioDeviceWriteIOps = src.BlkioDeviceWriteIOps
	}
	return nil
}

// ContainerTop implements GET /containers/{id}/top: the host's ps output
// restricted to the container's processes, as Docker does.
func (s *Service) ContainerTop(ctx context.Context, name, psArgs string) (*containertypes.TopResponse, error) {
	c, err := s.get(name)
	if err != nil {
		return nil, err
	}
	sh := s.shim(c.ID)
	if sh == nil || !s.isRunning(c) {
		return nil, errdefs.Conflict("container %s is not running", c.ID)
	}
	pids, err := sh.Pids(ctx)
	if err != nil {
		return nil, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	s.logEvent(c, "top", nil)
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		return nil, errdefs.InvalidParameter("Error running ps: %v", err)
	}
	return parsePS(out, pids)
}

func parsePS(out []byte, pids []int) (*containertypes.TopResponse, error) {
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	if !sc.Scan() {
		return nil, errdefs.InvalidParameter("ps produced no output")
	}
	titles := strings.Fields(sc.Text())
	pidCol := -1
	for i, t := range titles {
		if t == "PID" {
			pidCol = i
		}
	}
	if pidCol < 0 {
		return nil, errdefs.InvalidParameter("Couldn't find PID field in ps output")
	}
	resp := &containertypes.TopResponse{Titles: titles, Processes: [][]string{}}
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil || !want[pid] {
			continue
		}
		// The last column (the command) may contain spaces.
		row := append(fields[:len(titles)-1:len(titles)-1], strings.Join(fields[len(titles)-1:], " "))
		resp.Processes = append(resp.Processes, row)
	}
	return resp, nil
}

// ContainersPrune implements POST /containers/prune.
func (s *Service) ContainersPrune(ctx context.Context, f filters.Args) (*containertypes.PruneReport, error) {
	if err := f.Validate("until", "label", "label!"); err != nil {
		return nil, err
	}
	var until time.Time
	if v := f.Get("until"); len(v) > 0 {
		t, err := parseUntil(v[0])
		if err != nil {
			return nil, err
		}
		until = t
	}
	rep := &containertypes.PruneReport{ContainersDeleted: []string{}}
	for _, c := range s.store.List() {
		c.Lock()
		skip := c.IsRunning() || (!until.IsZero() && !c.Created.Before(until)) ||
			!f.MatchKVList("label", c.Config.Labels) || f.AnyKV("label!", c.Config.Labels)
		c.Unlock()
		if skip {
			continue
		}
		size, _ := s.layers.RWSize(c.ID)
		if err := s.ContainerRemove(ctx, c.ID, removeOpts(false)); err != nil {
			continue
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		rep.SpaceReclaimed += uint64(size)
	}
	s.events.Log("container", "prune", "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// parseUntil accepts a Unix timestamp, an RFC3339 time or a Go duration
// ("24h" = 24 hours ago), like Docker's prune filters.
func parseUntil(v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.InvalidParameter("invalid filter 'until=%s'", v)
}
