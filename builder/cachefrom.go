package builder

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"github.com/berth-project/berth/image"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// cacheFromMatch is --cache-from: an image named there whose history
// continues the current image's with this very step counts as a hit. Only
// a source whose next step is its last (the image itself) is reused;
// restoring intermediate steps of a source would need images per step
// that a loaded image does not carry.
func (r *buildRun) cacheFromMatch(parent digest.Digest, cfg *containertypes.Config) *image.Image {
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
		if n != len(h)-1 || h[n].CreatedBy != createdBy {
			continue
		}
		return src
	}
	return nil
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
