package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	containertypes "github.com/moby/moby/api/types/container"
)

// run executes RUN in a container on the current image and commits its
// changes.
func (st *stageState) run(ctx context.Context, c *instructions.RunCommand) error {
	if len(c.FlagsUsed) > 0 {
		return fmt.Errorf("the --%s option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled", c.FlagsUsed[0])
	}
	argv := st.runArgv(c)
	buildArgs := st.args.filterAllowed(st.runConfig.Env)
	saveCmd := argv
	if len(buildArgs) > 0 {
		saveCmd = st.args.prependEnvOnCmd(buildArgs, argv)
	}
	probe := copyConfig(st.runConfig)
	probe.Cmd = saveCmd
	probe.ArgsEscaped = false
	if len(saveCmd) > 0 {
		probe.Entrypoint = nil
	}
	if st.probe(ctx, probe) {
		return nil
	}
	if st.imageID == "" {
		return fmt.Errorf("The command '%s' returned a non-zero code: 1: %s", strings.Join(argv, " "), "no such file or directory: there is nothing to run in a scratch image")
	}
	b := st.r.b
	cfg := runContainerConfig(st.runConfig, argv, buildArgs, st.imageID.String())
	created, err := b.cfg.Containers.ContainerCreate(ctx, "", &containertypes.CreateRequest{Config: cfg, HostConfig: st.r.opts.hostConfig()})
	if err != nil {
		return err
	}
	id := created.ID
	for _, w := range created.Warnings {
		st.out.printf(" ---> [Warning] %s\n", w)
	}
	st.out.printf(" ---> Running in %s\n", id[:12])
	removed := false
	remove := func() {
		if removed {
			return
		}
		removed = true
		err := b.cfg.Containers.ContainerRemove(context.WithoutCancel(ctx), id, containerrouter.RemoveOptions{Force: true, RemoveVolumes: true})
		if err == nil {
			st.out.printf(" ---> Removed intermediate container %s\n", id[:12])
		}
	}
	// A failed or interrupted step leaves no container unless rm=false
	// asked to keep them.
	keep := !st.r.opts.Remove && !st.r.opts.ForceRemove
	defer func() {
		if !keep {
			remove()
		}
	}()
	code, err := st.runContainer(ctx, id)
	if err != nil {
		return err
	}
	if code != 0 {
		return &StepError{Msg: fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(argv, " "), code), Code: code}
	}
	tar, err := b.cfg.Layers.DiffTar(id)
	if err != nil {
		return err
	}
	err = st.commit(ctx, tar, probe, id)
	tar.Close()
	if err != nil {
		return err
	}
	if !keep {
		remove()
	}
	return nil
}

// runArgv is RUN's argv; heredocs become part of the shell script.
func (st *stageState) runArgv(c *instructions.RunCommand) []string {
	if !c.PrependShell || len(c.Files) == 0 {
		return st.cmdLine(c.ShellDependantCmdLine)
	}
	line := strings.Join(c.CmdLine, " ")
	if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "<<") && !strings.ContainsAny(trimmed, " \t") && len(c.Files) == 1 {
		// RUN <<EOF: the heredoc is the script.
		return append(st.shell(), c.Files[0].Data)
	}
	script := line
	for _, f := range c.Files {
		script += "\n" + f.Data + f.Name
	}
	return append(st.shell(), script)
}

// runContainer starts the container with its output going to the stage
// output and returns its exit code. Cancelling ctx kills it.
func (st *stageState) runContainer(ctx context.Context, id string) (int, error) {
	b := st.r.b
	ready := make(chan struct{})
	attached := make(chan error, 1)
	out := st.out
	go func() {
		attached <- b.cfg.Containers.ContainerAttach(ctx, id, &containerrouter.AttachConfig{
			UseStdout: true, UseStderr: true, Stream: true,
			GetStreams: func(bool) (io.ReadCloser, io.Writer, io.Writer, error) {
				close(ready)
				return nil, out, out, nil
			},
		})
	}()
	select {
	case <-ready:
	case err := <-attached:
		return 0, fmt.Errorf("attach to build container: %w", err)
	}
	wait, err := b.cfg.Containers.ContainerWait(ctx, id, containertypes.WaitConditionNextExit)
	if err != nil {
		return 0, err
	}
	if err := b.cfg.Containers.ContainerStart(ctx, id); err != nil {
		return 0, err
	}
	var res containerrouter.WaitResult
	select {
	case res = <-wait:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// The attach ends with the container's output; do not hang on it.
	select {
	case <-attached:
	case <-time.After(5 * time.Second):
	}
	if res.Err != nil && ctx.Err() != nil {
		return 0, errors.Join(ctx.Err(), res.Err)
	}
	return int(res.StatusCode), nil
}
