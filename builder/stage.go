package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// defaultPath is the PATH every stage gets when its base sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// stageState is what the dispatchers of one stage change.
type stageState struct {
	r          *buildRun
	index      int
	out        *stageOutput
	lex        *shell.Lex
	args       *buildArgs
	imageID    digest.Digest // "" for scratch before the first commit
	chainID    digest.Digest
	runConfig  *containertypes.Config
	maintainer string
	cmdSet     bool
	platform   string // os/arch of the base
}

func (r *buildRun) runStage(ctx context.Context, i int, out *stageOutput) (digest.Digest, error) {
	s := &r.stages[i]
	st := &stageState{r: r, index: i, out: out, lex: shell.NewLex(r.escape), args: r.args.forStage()}
	step := r.plan.firstStep[i]
	// Docker sends the step line and its newline as two messages.
	out.printf("Step %d/%d : %s", step, r.total, s.SourceCode)
	out.printf("\n")
	if err := st.from(ctx, s); err != nil {
		return "", err
	}
	out.printf(" ---> %s\n", shortID(st.imageID))
	for _, cmd := range s.Commands {
		step++
		out.printf("Step %d/%d : %s", step, r.total, commandText(cmd))
		out.printf("\n")
		if err := ctx.Err(); err != nil {
			return "", err
		}
		t0 := time.Now()
		if err := st.dispatch(ctx, cmd); err != nil {
			return "", err
		}
		st.r.b.cfg.Logger.Debug("build step", "step", step, "cmd", cmd.Name(), "took", time.Since(t0))
		out.printf(" ---> %s\n", shortID(st.imageID))
	}
	return st.imageID, nil
}

func commandText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return c.Name()
}

// from starts the stage on its base: scratch, an earlier stage or an
// image (pulled when missing or with --pull).
func (st *stageState) from(ctx context.Context, s *instructions.Stage) error {
	metaEnv := shell.EnvsFromSlice(st.args.metaEnv())
	name, _, err := st.lex.ProcessWord(s.BaseName, metaEnv)
	if err != nil {
		return errdefs.InvalidParameter("%v", err)
	}
	if name == "" {
		return errdefs.InvalidParameter("base name (%s) should not be blank", s.BaseName)
	}
	platform := st.r.opts.Platform
	if s.Platform != "" {
		if platform, _, err = st.lex.ProcessWord(s.Platform, metaEnv); err != nil {
			return errdefs.InvalidParameter("failed to process arguments for platform %s: %v", s.Platform, err)
		}
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return err
	}
	st.runConfig = &containertypes.Config{}
	if name == "scratch" {
		st.platform = "linux/" + runtime.GOARCH
	} else {
		img, err := st.baseImage(ctx, name)
		if err != nil {
			return err
		}
		if want != "" && !platformMatches(want, img) {
			return errdefs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s", name, want, imagePlatform(img))
		}
		st.setImage(img)
		st.runConfig = toContainerConfig(img)
	}
	st.setDefaultPath()
	st.runConfig.OpenStdin, st.runConfig.StdinOnce = false, false
	if triggers := st.runConfig.OnBuild; len(triggers) > 0 {
		st.runConfig.OnBuild = nil
		return st.onBuildTriggers(ctx, triggers)
	}
	return nil
}

// baseImage resolves FROM's name: a stage built earlier wins over images.
func (st *stageState) baseImage(ctx context.Context, name string) (*image.Image, error) {
	for j := 0; j < st.index; j++ {
		if st.r.stages[j].Name != "" && strings.EqualFold(st.r.stages[j].Name, name) {
			id, ok := st.r.stageImage(j)
			if !ok {
				return nil, errDependencyFailed
			}
			if id == "" {
				return &image.Image{}, nil
			}
			return st.r.b.cfg.Images.Resolve(id.String())
		}
	}
	return st.r.image(ctx, name, st.out, st.r.opts.Pull)
}

// image finds a local image, pulling it when asked or when missing.
func (r *buildRun) image(ctx context.Context, name string, out io.Writer, pull bool) (*image.Image, error) {
	if !pull {
		img, err := r.b.cfg.Images.Resolve(name)
		if err == nil || !errdefs.IsNotFound(err) {
			return img, err
		}
	}
	if err := r.b.cfg.Images.PullImage(ctx, name, "", &pullOutput{w: out}); err != nil {
		if errdefs.IsNotImplemented(err) {
			if img, rerr := r.b.cfg.Images.Resolve(name); rerr == nil && !pull {
				return img, nil
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, err
	}
	return r.b.cfg.Images.Resolve(name)
}

func (st *stageState) setImage(img *image.Image) {
	st.imageID = img.ID
	st.chainID = img.ChainID
	st.platform = imagePlatform(img)
}

func (st *stageState) setDefaultPath() {
	for _, e := range st.runConfig.Env {
		if k, _, _ := strings.Cut(e, "="); k == "PATH" {
			return
		}
	}
	st.runConfig.Env = append(st.runConfig.Env, "PATH="+defaultPath)
}

// onBuildTriggers runs the base image's ONBUILD instructions first.
func (st *stageState) onBuildTriggers(ctx context.Context, triggers []string) error {
	s := ""
	if len(triggers) > 1 {
		s = "s"
	}
	st.out.printf("# Executing %d build trigger%s\n", len(triggers), s)
	for _, t := range triggers {
		res, err := parser.Parse(strings.NewReader(t))
		if err != nil {
			return errdefs.InvalidParameter("%v", err)
		}
		if len(res.AST.Children) != 1 {
			return errdefs.InvalidParameter("onbuild trigger should be a single expression")
		}
		cmd, err := instructions.ParseCommand(res.AST.Children[0])
		if err != nil {
			return errdefs.InvalidParameter("%v", err)
		}
		if err := st.dispatch(ctx, cmd); err != nil {
			return err
		}
	}
	return nil
}

// shell is the SHELL of shell-form instructions.
func (st *stageState) shell() []string {
	if len(st.runConfig.Shell) > 0 {
		return slices.Clone(st.runConfig.Shell)
	}
	return []string{"/bin/sh", "-c"}
}

// probe looks the step up in the cache; on a hit the stage moves to the
// cached image.
func (st *stageState) probe(ctx context.Context, cfg *containertypes.Config) bool {
	if st.r.opts.NoCache {
		return false
	}
	key := cacheKey(st.imageID, cfg)
	c := st.r.b.cache
	var img *image.Image
	if rec, ok := c.get(key); ok {
		var err error
		if img, err = st.r.b.cfg.Images.Resolve(rec.ImageID.String()); err != nil {
			_ = c.del(key) // its image was removed
			img = nil
		} else {
			c.touch(key)
		}
	}
	if img == nil {
		img = st.r.cacheFromMatch(ctx, st.imageID, cfg)
	}
	if img == nil {
		return false
	}
	st.out.printf(" ---> Using cache\n")
	st.setImage(img)
	return true
}

// commitMeta commits a step that only changes the config (ENV, LABEL...):
// an image with an empty layer, as Docker's commit of an unchanged
// container gives.
func (st *stageState) commitMeta(ctx context.Context, comment string) error {
	cfg := copyConfig(st.runConfig)
	cfg.Cmd = append(st.shell(), "#(nop) ", comment)
	if st.probe(ctx, cfg) {
		return nil
	}
	st.inheritHealthcheck()
	return st.commit(ctx, nil, cfg, "")
}

// inheritHealthcheck copies the zero timings of a HEALTHCHECK from the
// current image's, as Docker's classic builder ends up doing: the
// container it creates for a step merges the image config into a
// healthcheck it shares with the build state (a quirk, but it decides
// the config `inspect` shows). Only steps that miss the cache do it.
func (st *stageState) inheritHealthcheck() {
	h := st.runConfig.Healthcheck
	if h == nil || st.imageID == "" {
		return
	}
	img, err := st.r.b.cfg.Images.Resolve(st.imageID.String())
	if err != nil || img.Config.Config.Healthcheck == nil {
		return
	}
	p := img.Config.Config.Healthcheck
	if len(h.Test) == 0 {
		h.Test = p.Test
	}
	if h.Interval == 0 {
		h.Interval = p.Interval
	}
	if h.Timeout == 0 {
		h.Timeout = p.Timeout
	}
	if h.StartPeriod == 0 {
		h.StartPeriod = p.StartPeriod
	}
	if h.StartInterval == 0 {
		h.StartInterval = p.StartInterval
	}
	if h.Retries == 0 {
		h.Retries = p.Retries
	}
}

// commit stores the step's image (layer tar nil: empty layer) and its
// cache entry.
func (st *stageState) commit(ctx context.Context, tar io.Reader, containerCfg *containertypes.Config, containerID string) error {
	parent := st.imageID
	id, err := st.r.b.cfg.Images.Commit(ctx, image.CommitRequest{
		Parent:          parent,
		LayerTar:        tar,
		Config:          copyConfig(st.runConfig),
		ContainerID:     containerID,
		ContainerConfig: containerCfg,
		Author:          st.maintainer,
		EmptyLayer:      tar == nil,
		CreatedBy:       strings.Join(containerCfg.Cmd, " "),
		Exact:           true,
	})
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	img, err := st.r.b.cfg.Images.Resolve(id.String())
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	_ = st.r.b.cache.put(cacheKey(parent, containerCfg), cacheRecord{
		ImageID: id, Parent: parent, Description: strings.Join(containerCfg.Cmd, " "), Created: now, LastUsed: now,
	})
	st.setImage(img)
	return nil
}

// copyConfig deep-copies a run config so steps never share maps/slices.
func copyConfig(c *containertypes.Config) *containertypes.Config {
	out := *c
	out.Cmd = slices.Clone(c.Cmd)
	out.Env = slices.Clone(c.Env)
	out.Entrypoint = slices.Clone(c.Entrypoint)
	out.OnBuild = slices.Clone(c.OnBuild)
	out.Shell = slices.Clone(c.Shell)
	out.Volumes = maps.Clone(c.Volumes)
	out.ExposedPorts = maps.Clone(c.ExposedPorts)
	out.Labels = maps.Clone(c.Labels)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		out.Healthcheck = &h
	}
	return &out
}

// toContainerConfig turns an image's config into a run config.
func toContainerConfig(img *image.Image) *containertypes.Config {
	out := &containertypes.Config{}
	data, _ := json.Marshal(img.Config.Config)
	_ = json.Unmarshal(data, out)
	return out
}

func imagePlatform(img *image.Image) string {
	p := img.Config.OS
	if p == "" {
		p = "linux"
	}
	arch := img.Config.Architecture
	if arch == "" {
		arch = runtime.GOARCH
	}
	p += "/" + arch
	if img.Config.Variant != "" {
		p += "/" + img.Config.Variant
	}
	return p
}

// parsePlatform normalises os[/arch[/variant]]; only linux is built.
func parsePlatform(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	parts := strings.Split(strings.ToLower(p), "/")
	if len(parts) > 3 || parts[0] == "" {
		return "", errdefs.InvalidParameter("failed to parse platform %s: %q: unknown operating system or architecture: invalid argument", p, p)
	}
	if parts[0] != "linux" {
		return "", errdefs.InvalidParameter("failed to parse platform %s: operating system %q is not supported", p, parts[0])
	}
	if len(parts) == 1 {
		parts = append(parts, runtime.GOARCH)
	}
	switch parts[1] {
	case "x86_64", "x86-64":
		parts[1] = "amd64"
	case "aarch64":
		parts[1] = "arm64"
	}
	return strings.Join(parts, "/"), nil
}

func platformMatches(want string, img *image.Image) bool {
	have := imagePlatform(img)
	return have == want || strings.HasPrefix(have, want+"/") || strings.HasPrefix(want, have+"/")
}
