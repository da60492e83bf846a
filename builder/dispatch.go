package builder

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/lifecycle"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// dispatch runs one instruction with Docker's classic semantics: words are
// expanded with the ENV and the build args in scope, then the config is
// changed and committed.
func (st *stageState) dispatch(ctx context.Context, cmd instructions.Command) error {
	if l, ok := cmd.(*labelStep); ok {
		cmd = l.LabelCommand
	}
	env := append(append([]string(nil), st.runConfig.Env...), st.args.filterAllowed(st.runConfig.Env)...)
	envs := shell.EnvsFromSlice(env)
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		err := ex.Expand(func(word string) (string, error) {
			w, _, err := st.lex.ProcessWord(word, envs)
			return w, err
		})
		if err != nil {
			return errdefs.InvalidParameter("%v", err)
		}
	}
	rc := st.runConfig
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		msg := "ENV"
		for _, e := range c.Env {
			kv := e.Key + "=" + e.Value
			msg += " " + kv
			replaced := false
			for i, old := range rc.Env {
				if k, _, _ := strings.Cut(old, "="); k == e.Key {
					rc.Env[i] = kv
					replaced = true
					break
				}
			}
			if !replaced {
				rc.Env = append(rc.Env, kv)
			}
		}
		return st.commitMeta(ctx, msg)
	case *instructions.MaintainerCommand:
		st.maintainer = c.Maintainer
		return st.commitMeta(ctx, "MAINTAINER "+c.Maintainer)
	case *instructions.LabelCommand:
		if rc.Labels == nil {
			rc.Labels = map[string]string{}
		}
		msg := "LABEL"
		for _, l := range c.Labels {
			rc.Labels[l.Key] = l.Value
			msg += " " + l.String()
		}
		return st.commitMeta(ctx, msg)
	case *instructions.AddCommand:
		return st.add(ctx, c)
	case *instructions.CopyCommand:
		return st.copy(ctx, c)
	case *instructions.OnbuildCommand:
		rc.OnBuild = append(rc.OnBuild, c.Expression)
		return st.commitMeta(ctx, "ONBUILD "+c.Expression)
	case *instructions.WorkdirCommand:
		return st.workdir(ctx, c)
	case *instructions.RunCommand:
		return st.run(ctx, c)
	case *instructions.CmdCommand:
		rc.Cmd = st.cmdLine(c.ShellDependantCmdLine)
		rc.ArgsEscaped = false
		if err := st.commitMeta(ctx, fmt.Sprintf("CMD %q", []string(rc.Cmd))); err != nil {
			return err
		}
		if len(c.CmdLine) != 0 {
			st.cmdSet = true
		}
		return nil
	case *instructions.HealthCheckCommand:
		if old := rc.Healthcheck; old != nil && len(old.Test) > 0 && old.Test[0] != "NONE" {
			st.out.printf("Note: overriding previous HEALTHCHECK: %v\n", old.Test)
		}
		rc.Healthcheck = c.Health
		return st.commitMeta(ctx, "HEALTHCHECK "+healthText(rc.Healthcheck))
	case *instructions.EntrypointCommand:
		rc.Entrypoint = st.cmdLine(c.ShellDependantCmdLine)
		rc.ArgsEscaped = false
		if !st.cmdSet {
			rc.Cmd = nil
		}
		return st.commitMeta(ctx, fmt.Sprintf("ENTRYPOINT %q", []string(rc.Entrypoint)))
	case *instructions.ExposeCommand:
		// EXPOSE alone splits a variable into several ports.
		var ports []string
		for _, p := range c.Ports {
			ws, err := st.lex.ProcessWords(p, envs)
			if err != nil {
				return errdefs.InvalidParameter("%v", err)
			}
			ports = append(ports, ws...)
		}
		set, err := parseExpose(ports)
		if err != nil {
			return err
		}
		if rc.ExposedPorts == nil {
			rc.ExposedPorts = network.PortSet{}
		}
		for p := range set {
			rc.ExposedPorts[p] = struct{}{}
		}
		return st.commitMeta(ctx, "EXPOSE "+strings.Join(ports, " "))
	case *instructions.UserCommand:
		rc.User = c.User
		return st.commitMeta(ctx, fmt.Sprintf("USER %v", c.User))
	case *instructions.VolumeCommand:
		if rc.Volumes == nil {
			rc.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return errdefs.InvalidParameter("VOLUME specified can not be an empty string")
			}
			rc.Volumes[v] = struct{}{}
		}
		return st.commitMeta(ctx, fmt.Sprintf("VOLUME %v", c.Volumes))
	case *instructions.StopSignalCommand:
		if _, err := lifecycle.ParseSignal(c.Signal); err != nil {
			return err
		}
		rc.StopSignal = c.Signal
		return st.commitMeta(ctx, fmt.Sprintf("STOPSIGNAL %v", c.Signal))
	case *instructions.ArgCommand:
		var parts []string
		for _, a := range c.Args {
			s := a.Key
			if a.Value != nil {
				s += "=" + *a.Value
			}
			parts = append(parts, s)
			st.args.add(a.Key, a.Value)
		}
		return st.commitMeta(ctx, "ARG "+strings.Join(parts, " "))
	case *instructions.ShellCommand:
		rc.Shell = c.Shell
		return st.commitMeta(ctx, fmt.Sprintf("SHELL %v", []string(rc.Shell)))
	}
	return errdefs.InvalidParameter("unsupported command type: %T", cmd)
}

// cmdLine is the argv of CMD/ENTRYPOINT/RUN: exec form as given, shell
// form behind the SHELL.
func (st *stageState) cmdLine(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell && c.CmdLine != nil {
		return append(st.shell(), c.CmdLine...)
	}
	return c.CmdLine
}

// parseExpose validates EXPOSE ports: port, port/proto, start-end[/proto].
func parseExpose(ports []string) (network.PortSet, error) {
	set := network.PortSet{}
	for _, raw := range ports {
		spec := raw
		if strings.Contains(spec, ":") {
			return nil, errdefs.InvalidParameter("invalid containerPort: %s", raw)
		}
		proto := "tcp"
		if p, pr, ok := strings.Cut(spec, "/"); ok {
			spec, proto = p, strings.ToLower(pr)
		}
		pr, err := network.ParsePortRange(spec + "/" + proto)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid containerPort: %s", raw)
		}
		for p := range pr.All() {
			set[p] = struct{}{}
		}
	}
	return set, nil
}

// workdir sets WORKDIR and creates it in the image (owned by root, as the
// classic builder does); an existing directory gives an empty layer.
func (st *stageState) workdir(ctx context.Context, c *instructions.WorkdirCommand) error {
	dir := c.Path
	if !path.IsAbs(dir) {
		cur := st.runConfig.WorkingDir
		if cur == "" {
			cur = "/"
		}
		dir = path.Join(cur, dir)
	}
	dir = path.Clean(dir)
	st.runConfig.WorkingDir = dir
	cfg := copyConfig(st.runConfig)
	cfg.Cmd = append(st.shell(), "#(nop) WORKDIR "+dir)
	if st.probe(ctx, cfg) {
		return nil
	}
	st.inheritHealthcheck()
	return st.withScratch(ctx, cfg, func(root string) error {
		return mkdirAllInRoot(root, dir, nil)
	})
}

// configFor is the config a RUN's container gets.
func runContainerConfig(base *containertypes.Config, argv, extraEnv []string, image string) *containertypes.Config {
	cfg := copyConfig(base)
	cfg.Image = image
	// The command goes in Entrypoint so that the image's own ENTRYPOINT
	// and CMD do not wrap it (Docker passes an empty entrypoint).
	cfg.Entrypoint = argv
	cfg.Cmd = nil
	cfg.Env = append(cfg.Env, extraEnv...)
	cfg.Healthcheck = &containertypes.HealthConfig{Test: []string{"NONE"}}
	cfg.AttachStdout, cfg.AttachStderr = true, true
	cfg.Tty = false
	cfg.OnBuild = nil
	return cfg
}

// healthText prints a healthcheck as Docker's history does (fmt's %q of
// the struct pointer: quoted fields, the retry count as a quoted rune).
func healthText(h *containertypes.HealthConfig) string {
	return fmt.Sprintf("&{%q %q %q %q %q %q}", h.Test, h.Interval.String(), h.Timeout.String(),
		h.StartPeriod.String(), h.StartInterval.String(), rune(h.Retries))
}
