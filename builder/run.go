package builder

import (
	"context"
	"errors"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	digest "github.com/opencontainers/go-digest"
)

// buildRun is one build in progress.
type buildRun struct {
	b         *Builder
	opts      *Options
	ctx       *buildContext
	stages    []instructions.Stage
	plan      *plan
	args      *buildArgs
	escape    rune
	total     int
	firstStep int
	stream    *stream

	results map[int]*stageResult
}

// stageResult is a finished (or failed) stage; done closes when set.
type stageResult struct {
	done  chan struct{}
	image digest.Digest
	err   error
}

var errDependencyFailed = errors.New("a stage this one needs failed")

// execute builds the needed stages, each as soon as the stages it needs
// are built, so independent stages run at the same time. It returns the
// image of the last stage.
func (r *buildRun) execute(ctx context.Context) (digest.Digest, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seq := newSequencer(r.stream, len(r.plan.order))
	r.results = map[int]*stageResult{}
	step := r.firstStep
	for _, i := range r.plan.order {
		r.results[i] = &stageResult{done: make(chan struct{})}
		r.plan.firstStep[i] = step
		step += 1 + len(r.stages[i].Commands)
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for k, i := range r.plan.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := r.results[i]
			defer close(res.done)
			defer seq.finish(k)
			for _, d := range r.plan.deps[i] {
				<-r.results[d].done
				if r.results[d].err != nil {
					res.err = errDependencyFailed
					return
				}
			}
			res.image, res.err = r.runStage(ctx, i, seq.outs[k])
			if res.err != nil {
				mu.Lock()
				// The first failure is the build's error; stages cancelled
				// because of it only report that they were.
				if firstErr == nil {
					firstErr = res.err
					seq.flushFailed(k)
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	last := r.plan.order[len(r.plan.order)-1]
	return r.results[last].image, nil
}

// stageImage waits for stage i (already planned as a dependency) and
// returns its image.
func (r *buildRun) stageImage(i int) (digest.Digest, bool) {
	res, ok := r.results[i]
	if !ok {
		return "", false
	}
	<-res.done
	return res.image, res.err == nil
}
