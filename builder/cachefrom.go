package builder

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/layer"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// cacheFromMatch is --cache-from: an image named there whose history
// continues the current image's with this very step (same created_by,
// same layers so far) counts as a hit, even without a local parent chain
// (a loaded or pulled image). For its last step the source itself is the
// result; for an earlier one an intermediate image is made from the
// source's layer for that step, as Docker's restoreCachedImage does.
func (r *buildRun) cacheFromMatch(ctx context.Context, parent digest.Digest, cfg *containertypes.Config) *image.Image {
	if len(r.opts.CacheFrom) == 0 {
		return nil
	}
	var parentImg *image.Image
	if parent != "" {
		p, err := r.b.cfg.Images.Resolve(parent.String())
		if err != nil {
			return nil
		}
		parentImg = p
	}
	createdBy := strings.Join(cfg.Cmd, " ")
	for _, ref := range r.opts.CacheFrom {
		src, err := r.b.cfg.Images.Resolve(ref)
		if err != nil {
			continue
		}
		n := 0
		if parentImg != nil {
			if !isPrefix(parentImg, src) {
				continue
			}
			n = len(parentImg.Config.History)
		}
		h := src.Config.History
		if n >= len(h) || h[n].CreatedBy != createdBy {
			continue
		}
		if n == len(h)-1 {
			return src
		}
		img, err := r.restoreStep(ctx, parent, src, n, cfg)
		if err != nil {
			r.b.cfg.Logger.Warn("cache-from: restore step", "source", ref, "err", err)
			continue
		}
		return img
	}
	return nil
}

// restoreStep makes the image of step n of src on parent: src's layer for
// that history entry (none for an empty one) and cfg as its config.
func (r *buildRun) restoreStep(ctx context.Context, parent digest.Digest, src *image.Image, n int, cfg *containertypes.Config) (*image.Image, error) {
	hist := src.Config.History[n]
	req := image.CommitRequest{
		Parent: parent, Config: cfg, ContainerConfig: cfg, CreatedBy: hist.CreatedBy,
		Author: hist.Author, EmptyLayer: hist.EmptyLayer, Exact: true,
	}
	if !hist.EmptyLayer {
		idx := 0
		for _, e := range src.Config.History[:n] {
			if !e.EmptyLayer {
				idx++
			}
		}
		diffs := src.Config.RootFS.DiffIDs
		if idx >= len(diffs) {
			return nil, fmt.Errorf("history and layers of %s disagree", src.ID)
		}
		var chain digest.Digest
		for _, d := range diffs[:idx+1] {
			chain = layer.ChainID(chain, d)
		}
		tar, err := r.b.cfg.Layers.TarStream(chain)
		if err != nil {
			return nil, err
		}
		defer tar.Close()
		req.LayerTar = tar
	}
	id, err := r.b.cfg.Images.Commit(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.b.cfg.Images.Resolve(id.String())
}

// isPrefix: parent's layers and history start target's.
func isPrefix(parent, target *image.Image) bool {
	pd, td := parent.Config.RootFS.DiffIDs, target.Config.RootFS.DiffIDs
	if len(pd) > len(td) {
		return false
	}
	for i := range pd {
		if pd[i] != td[i] {
			return false
		}
	}
	ph, th := parent.Config.History, target.Config.History
	if len(ph) >= len(th) {
		return false
	}
	for i := range ph {
		if ph[i].CreatedBy != th[i].CreatedBy || ph[i].EmptyLayer != th[i].EmptyLayer {
			return false
		}
	}
	return true
}

// pullOutput renders a pull's JSON progress as build text lines.
type pullOutput struct {
	w   io.Writer
	buf []byte
}

func (p *pullOutput) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	sc := bufio.NewScanner(strings.NewReader(string(p.buf)))
	consumed := 0
	for sc.Scan() {
		line := sc.Bytes()
		consumed += len(line) + 1
		if consumed > len(p.buf) {
			consumed -= len(line) + 1
			break
		}
		var m struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Progress string `json:"progress"`
		}
		if json.Unmarshal(line, &m) != nil || m.Status == "" || m.Progress != "" {
			continue
		}
		if m.ID != "" {
			io.WriteString(p.w, m.ID+": "+m.Status+"\n")
		} else {
			io.WriteString(p.w, m.Status+"\n")
		}
	}
	p.buf = p.buf[consumed:]
	return len(b), nil
}
