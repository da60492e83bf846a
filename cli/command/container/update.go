package container

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newUpdateCommand(c *command.Cli) *cobra.Command {
	var (
		cpuPeriod, cpuQuota, cpuShares, pidsLimit int64
		cpuRtPeriod, cpuRtRuntime                 int64
		cpusetCpus, cpusetMems, restart           string
		blkioWeight                               uint16
		memory, memReservation                    opts.MemBytes
		memorySwap                                opts.MemSwapBytes
		cpus                                      opts.NanoCPUs
	)
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return errors.New("you must provide one or more flags when using this command")
			}
			res := &container.Resources{
				BlkioWeight: blkioWeight, CpusetCpus: cpusetCpus, CpusetMems: cpusetMems,
				CPUShares: cpuShares, Memory: memory.Value(), MemoryReservation: memReservation.Value(),
				MemorySwap: memorySwap.Value(), CPUPeriod: cpuPeriod, CPUQuota: cpuQuota,
				NanoCPUs: cpus.Value(), CPURealtimePeriod: cpuRtPeriod, CPURealtimeRuntime: cpuRtRuntime,
			}
			if cmd.Flags().Changed("pids-limit") {
				p := pidsLimit
				res.PidsLimit = &p
			}
			uo := client.ContainerUpdateOptions{Resources: res}
			if cmd.Flags().Changed("restart") {
				rp, err := opts.ParseRestartPolicy(restart)
				if err != nil {
					return err
				}
				uo.RestartPolicy = &rp
			}
			cl := c.Client()
			var warnings []string
			err := forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				r, err := cl.ContainerUpdate(ctx, id, uo)
				warnings = append(warnings, r.Warnings...)
				return err
			}, nil)
			for _, w := range warnings {
				fmt.Fprintln(c.Err(), w)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.Uint16Var(&blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable")
	f.Int64Var(&cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&cpuRtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	f.Int64Var(&cpuRtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	f.Int64VarP(&cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Var(&cpus, "cpus", "Number of CPUs")
	f.StringVar(&cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.VarP(&memory, "memory", "m", "Memory limit")
	f.Var(&memReservation, "memory-reservation", "Memory soft limit")
	f.Var(&memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.Int64Var(&pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.StringVar(&restart, "restart", "", "Restart policy to apply when a container exits")
	return cmd
}
