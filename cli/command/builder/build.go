// Package builder implements `docker build` and the `docker builder`
// group (build, prune) over the Engine API's classic builder: the context
// directory is tarred here (with .dockerignore applied) and the daemon's
// JSON stream is rendered like the docker CLI does with DOCKER_BUILDKIT=0.
package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// AddCommands registers `build` and the `builder` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newBuildCommand(c), newBuilderCommand(c))
}

func newBuilderCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "builder",
		Short: "Manage builds",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newBuildCommand(c), newPruneCommand(c))
	return cmd
}

type buildOptions struct {
	tags, buildArgs, labels, hosts, cacheFrom, ulimits, securityOpt *opts.ListOpts
	dockerfile, target, network, cpusetCPUs, cpusetMems             string
	cgroupParent, iidfile, platform, isolation                      string
	noCache, pull, quiet, rm, forceRm, compress, squash             bool
	shmSize, memory                                                 opts.MemBytes
	memorySwap                                                      opts.MemSwapBytes
	cpuShares, cpuPeriod, cpuQuota                                  int64
}

func newBuildCommand(c *command.Cli) *cobra.Command {
	o := buildOptions{
		tags: opts.NewListOpts(nil), buildArgs: opts.NewListOpts(opts.ValidateEnv), labels: opts.NewListOpts(opts.ValidateLabel),
		hosts: opts.NewListOpts(opts.ValidateExtraHost), cacheFrom: opts.NewListOpts(nil), ulimits: opts.NewListOpts(opts.ValidateUlimit),
		securityOpt: opts.NewListOpts(nil),
	}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | URL | -",
		Short: "Build an image from a Dockerfile",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, c, &o, args[0])
		},
	}
	f := cmd.Flags()
	f.VarP(o.tags, "tag", "t", `Name and optionally a tag in the "name:tag" format`)
	f.StringVarP(&o.dockerfile, "file", "f", "", `Name of the Dockerfile (Default is "PATH/Dockerfile")`)
	f.Var(o.buildArgs, "build-arg", "Set build-time variables")
	f.StringVar(&o.target, "target", "", "Set the target build stage to build.")
	f.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	f.BoolVar(&o.pull, "pull", false, "Always attempt to pull a newer version of the image")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	f.Var(o.labels, "label", "Set metadata for an image")
	f.StringVar(&o.network, "network", "default", "Set the networking mode for the RUN instructions during build")
	f.Var(o.hosts, "add-host", `Add a custom host-to-IP mapping ("host:ip")`)
	f.Var(&o.shmSize, "shm-size", "Size of \"/dev/shm\"")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.StringVar(&o.cpusetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit the CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota")
	f.StringVar(&o.cgroupParent, "cgroup-parent", "", `Set the parent cgroup for the "RUN" instructions during build`)
	f.BoolVar(&o.rm, "rm", true, "Remove intermediate containers after a successful build")
	f.BoolVar(&o.forceRm, "force-rm", false, "Always remove intermediate containers")
	f.StringVar(&o.iidfile, "iidfile", "", "Write the image ID to the file")
	f.StringVar(&o.platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	f.Var(o.cacheFrom, "cache-from", "Images to consider as cache sources")
	f.Var(o.ulimits, "ulimit", "Ulimit options")
	f.Var(o.securityOpt, "security-opt", "Security options")
	f.StringVar(&o.isolation, "isolation", "", "Container isolation technology")
	f.BoolVar(&o.compress, "compress", false, "Compress the build context using gzip")
	f.BoolVar(&o.squash, "squash", false, "Squash newly built layers into a single new layer")
	f.Bool("disable-content-trust", true, "Skip image verification")
	return cmd
}

func runBuild(cmd *cobra.Command, c *command.Cli, o *buildOptions, arg string) error {
	if o.iidfile != "" {
		// Docker removes a stale file first, so a failed build leaves none.
		if err := os.Remove(o.iidfile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing image ID file: %w", err)
		}
	}
	in, err := prepareInput(arg, o.dockerfile, c.In(), o.compress)
	if err != nil {
		return err
	}
	ulimits, err := opts.ParseUlimits(o.ulimits.GetAll())
	if err != nil {
		return err
	}
	bo := client.ImageBuildOptions{
		Tags:           o.tags.GetAll(),
		SuppressOutput: o.quiet,
		RemoteContext:  in.remote,
		NoCache:        o.noCache,
		Remove:         o.rm,
		ForceRemove:    o.forceRm,
		PullParent:     o.pull,
		Isolation:      container.Isolation(o.isolation),
		CPUSetCPUs:     o.cpusetCPUs,
		CPUSetMems:     o.cpusetMems,
		CPUShares:      o.cpuShares,
		CPUQuota:       o.cpuQuota,
		CPUPeriod:      o.cpuPeriod,
		Memory:         o.memory.Value(),
		MemorySwap:     o.memorySwap.Value(),
		CgroupParent:   o.cgroupParent,
		NetworkMode:    o.network,
		ShmSize:        o.shmSize.Value(),
		Dockerfile:     in.dockerfile,
		Ulimits:        ulimits,
		BuildArgs:      buildArgMap(o.buildArgs.GetAll()),
		Labels:         opts.ConvertKVStringsToMap(o.labels.GetAll()),
		Squash:         o.squash,
		CacheFrom:      o.cacheFrom.GetAll(),
		SecurityOpt:    o.securityOpt.GetAll(),
		ExtraHosts:     o.hosts.GetAll(),
		Target:         o.target,
	}
	if o.platform != "" {
		p, err := parsePlatform(o.platform)
		if err != nil {
			return err
		}
		bo.Platforms = []ocispec.Platform{p}
	}
	body := in.body
	if body == nil {
		body = strings.NewReader("")
	}
	counted := &countingReader{r: body}
	res, err := c.Client().ImageBuild(cmd.Context(), counted, bo)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// The daemon reads the whole context before it answers, so the size
	// is final here (docker prints it while uploading).
	if !o.quiet && in.remote == "" {
		fmt.Fprintf(c.Out(), "Sending build context to Docker daemon  %s\n", units.HumanSizeWithPrecision(float64(counted.n), 4))
	}
	imageID, err := display(c, res.Body, o.quiet)
	if err != nil {
		return err
	}
	if o.iidfile != "" && imageID != "" {
		if err := os.WriteFile(o.iidfile, []byte(imageID), 0o666); err != nil {
			return fmt.Errorf("cannot write %s: %w", o.iidfile, err)
		}
	}
	return nil
}

// display renders the stream and returns the image ID from the aux
// message. A failing step's exit code becomes the CLI's (docker's rule).
func display(c *command.Cli, body io.Reader, quiet bool) (string, error) {
	var imageID string
	aux := func(m jsonstream.Message) {
		var r struct{ ID string }
		if m.Aux != nil && json.Unmarshal(*m.Aux, &r) == nil && r.ID != "" {
			imageID = r.ID
		}
	}
	fd, isTerm := c.OutFd()
	var out io.Writer = c.Out()
	if isTerm && !quiet {
		out = newStepTimer(c.Out())
	}
	err := jsonmessage.DisplayJSONMessagesStream(body, out, fd, false, aux)
	if t, ok := out.(*stepTimer); ok {
		t.finish(err != nil)
	}
	if err != nil {
		var je *jsonstream.Error
		if errors.As(err, &je) {
			code := je.Code
			if code == 0 {
				code = 1
			}
			return "", command.StatusError{Status: je.Message, StatusCode: code}
		}
		return "", err
	}
	return imageID, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// buildArgMap is docker's --build-arg: KEY=value, or KEY alone taking the
// value from the environment (no value at all when unset).
func buildArgMap(vals []string) map[string]*string {
	out := map[string]*string{}
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			if ev, set := os.LookupEnv(k); set {
				out[k] = &ev
			} else {
				out[k] = nil
			}
			continue
		}
		out[k] = &v
	}
	return out
}

func parsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 1 || len(parts) > 3 || parts[0] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q", s)
	}
	p := ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
