package builder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	containertypes "github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Images is what the builder needs from the image store.
type Images interface {
	Resolve(ref string) (*image.Image, error)
	Commit(ctx context.Context, req image.CommitRequest) (digest.Digest, error)
	ImageTag(ctx context.Context, source, repo, tag string) error
	ImageDelete(ctx context.Context, ref string, force, noPrune bool) ([]imagetypes.DeleteResponse, error)
	PullImage(ctx context.Context, ref, tag string, out io.Writer) error
}

// Layers is what the builder needs from the layer store: scratch rw
// layers for COPY/ADD/WORKDIR and the diff of a RUN container.
type Layers interface {
	CreateRW(id string, parent digest.Digest) error
	Mount(id string) (string, error)
	Unmount(id string) error
	RemoveRW(id string) error
	DiffTar(id string) (io.ReadCloser, error)
	ListRW() ([]string, error)
	TarStream(chainID digest.Digest) (io.ReadCloser, error)
}

// Containers runs the containers of RUN steps (the container lifecycle).
type Containers interface {
	ContainerCreate(ctx context.Context, name string, req *containertypes.CreateRequest) (containertypes.CreateResponse, error)
	ContainerAttach(ctx context.Context, name string, cfg *containerrouter.AttachConfig) error
	ContainerStart(ctx context.Context, name string) error
	ContainerWait(ctx context.Context, name string, cond containertypes.WaitCondition) (<-chan containerrouter.WaitResult, error)
	ContainerRemove(ctx context.Context, name string, opts containerrouter.RemoveOptions) error
}

// Config wires a Builder.
type Config struct {
	DB         *bolt.DB
	Root       string // <data-root>/builder: temp contexts live here
	Images     Images
	Layers     Layers
	Containers Containers
	Logger     *slog.Logger
}

// Builder runs builds.
type Builder struct {
	cfg   Config
	cache *stepCache
	tmp   string
}

// scratchPrefix names the builder's own rw layers, so a daemon that died
// mid-step can clean them up at start.
const scratchPrefix = "build-"

// New opens the builder's cache and removes leftovers of builds a
// previous daemon did not finish.
func New(cfg Config) (*Builder, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tmp := filepath.Join(cfg.Root, "tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("builder: %w", err)
	}
	c, err := newStepCache(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("builder cache: %w", err)
	}
	if ids, err := cfg.Layers.ListRW(); err == nil {
		for _, id := range ids {
			if strings.HasPrefix(id, scratchPrefix) {
				_ = cfg.Layers.RemoveRW(id)
			}
		}
	}
	return &Builder{cfg: cfg, cache: c, tmp: tmp}, nil
}

// Build runs one build, writing Docker's JSON stream to out. Errors
// returned before anything was written become the HTTP answer; later ones
// go in-band (the router decides). A *StepError carries a RUN's exit code.
func (b *Builder) Build(ctx context.Context, opts *Options, body io.Reader, out io.Writer) error {
	st := &stream{out: out, quiet: opts.Quiet}
	err := b.build(ctx, opts, body, st)
	if err != nil && opts.Quiet {
		if buf := st.buffered(); buf != "" {
			return wrapQuiet(buf, err)
		}
	}
	return err
}

func (b *Builder) build(ctx context.Context, opts *Options, body io.Reader, st *stream) error {
	if opts.Squash {
		return errdefs.NotImplemented("squash is not implemented (it is an experimental feature of Docker's classic builder)")
	}
	tags, err := parseTags(opts.Tags)
	if err != nil {
		return err
	}
	if _, err := parsePlatform(opts.Platform); err != nil {
		return err
	}
	start := time.Now()
	bc, err := openContext(ctx, b.tmp, opts, body, textWriter{st})
	if err != nil {
		return err
	}
	defer bc.cleanup()
	b.cfg.Logger.Debug("build context read", "took", time.Since(start))

	if len(bc.dockerfile) == 0 {
		return errdefs.InvalidParameter("the Dockerfile (%s) cannot be empty", dockerfileName(opts))
	}
	res, err := parser.Parse(bytes.NewReader(bc.dockerfile))
	if err != nil {
		return errdefs.InvalidParameter("failed to parse %s: %v", dockerfileName(opts), err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return errdefs.InvalidParameter("%v", err)
	}
	if len(stages) == 0 {
		return errdefs.InvalidParameter("No image was generated. Is your Dockerfile empty?")
	}
	if opts.Target != "" {
		i, ok := instructions.HasStage(stages, opts.Target)
		if !ok {
			return errdefs.InvalidParameter("failed to reach build target %s in Dockerfile", opts.Target)
		}
		stages = stages[:i+1]
	}
	addLabels(&stages[len(stages)-1], opts.Labels)

	used := &usedArgs{seen: map[string]bool{}}
	args := newBuildArgs(opts.BuildArgs, used)
	for _, m := range metaArgs {
		if err := processMetaArg(m, args, res.EscapeToken); err != nil {
			return err
		}
	}
	plan, err := planStages(stages, args, res.EscapeToken)
	if err != nil {
		return err
	}
	total := len(metaArgs)
	for _, i := range plan.order {
		total += 1 + len(stages[i].Commands)
	}
	step := 1
	for _, m := range metaArgs {
		_ = st.text(fmt.Appendf(nil, "Step %d/%d : %s", step, total, m.String()))
		_ = st.text([]byte("\n"))
		step++
	}
	run := &buildRun{
		b: b, opts: opts, ctx: bc, stages: stages, plan: plan, args: args,
		escape: res.EscapeToken, total: total, firstStep: step, stream: st,
	}
	final, err := run.execute(ctx)
	if err != nil {
		return err
	}
	if final == "" {
		return errdefs.InvalidParameter("No image was generated. Is your Dockerfile empty?")
	}
	if left := unconsumed(opts.BuildArgs, used); len(left) > 0 {
		_ = st.text(fmt.Appendf(nil, "[Warning] One or more build-args %v were not consumed\n", left))
	}
	_ = st.aux(map[string]string{"ID": final.String()})
	_ = st.text(fmt.Appendf(nil, "Successfully built %s\n", shortID(final)))
	for _, t := range tags {
		if err := b.cfg.Images.ImageTag(ctx, final.String(), reference.FamiliarName(t), t.Tag()); err != nil {
			return err
		}
		_ = st.text(fmt.Appendf(nil, "Successfully tagged %s\n", reference.FamiliarString(t)))
	}
	if opts.Quiet {
		_ = st.always(final.String() + "\n")
	}
	return nil
}

// textWriter adapts the stream for plain text progress.
type textWriter struct{ s *stream }

func (w textWriter) Write(p []byte) (int, error) { return len(p), w.s.text(p) }

func dockerfileName(opts *Options) string {
	if opts.Dockerfile == "" {
		return "Dockerfile"
	}
	return opts.Dockerfile
}

// parseTags validates every -t before anything is built, as Docker does.
func parseTags(in []string) ([]reference.NamedTagged, error) {
	var out []reference.NamedTagged
	for _, t := range in {
		if t == "" {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return nil, errdefs.InvalidParameter("%v", err)
		}
		if _, isDigest := ref.(reference.Canonical); isDigest {
			return nil, errdefs.InvalidParameter("build tag cannot contain a digest")
		}
		nt, ok := reference.TagNameOnly(ref).(reference.NamedTagged)
		if !ok {
			return nil, errdefs.InvalidParameter("invalid reference format")
		}
		out = append(out, nt)
	}
	return out, nil
}

// addLabels appends the request's labels (--label) to the last stage as
// one LABEL step, in key order, as Docker does.
func addLabels(stage *instructions.Stage, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var kvs instructions.KeyValuePairs
	var parts []string
	for _, k := range keys {
		kvs = append(kvs, instructions.KeyValuePair{Key: k, Value: labels[k]})
		parts = append(parts, fmt.Sprintf("%q=%q", k, labels[k]))
	}
	cmd := instructions.NewLabelCommand(keys[0], labels[keys[0]], true)
	cmd.Labels = kvs
	stage.AddCommand(&labelStep{LabelCommand: cmd, text: "LABEL " + strings.Join(parts, " ")})
}

// labelStep is a LABEL the builder added; it prints like Docker's.
type labelStep struct {
	*instructions.LabelCommand
	text string
}

func (l *labelStep) String() string { return l.text }

func shortID(id digest.Digest) string {
	e := id.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}

// StepError is a failed RUN: Docker's JSON stream error with the
// command's exit code.
type StepError struct {
	Msg  string
	Code int
}

func (e *StepError) Error() string { return e.Msg }

// ExitCode is the failing command's exit code (errorDetail.code).
func (e *StepError) ExitCode() int { return e.Code }

// quietError keeps a RUN's exit code when quiet mode prefixes the output.
type quietError struct {
	msg string
	err error
}

func (e *quietError) Error() string { return e.msg }
func (e *quietError) Unwrap() error { return e.err }

func wrapQuiet(buf string, err error) error {
	return &quietError{msg: buf + err.Error(), err: err}
}
