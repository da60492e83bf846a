package distribution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
)

// pullLayer is one layer of an image being pulled.
type pullLayer struct {
	l      v1.Layer
	blob   v1.Hash
	size   int64 // compressed bytes
	diffID digest.Digest
	chain  digest.Digest
	parent digest.Digest
	id     string        // short ID in the progress stream
	ready  chan struct{} // closed once registered (or failed)
	err    error
	stored int64 // layer size in the store
}

// pullLayers downloads the layers of img in parallel (at most
// MaxDownloads at once) and registers them in order, each unpacking while
// it downloads. allThere says every layer was stored already.
func (s *Service) pullLayers(ctx context.Context, repo name.Repository, img v1.Image, p *progress) (allThere bool, sizes []int64, err error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return false, nil, classify(err, "fetch image config")
	}
	ls, err := img.Layers()
	if err != nil {
		return false, nil, classify(err, "read manifest")
	}
	diffIDs := cf.RootFS.DiffIDs
	if len(diffIDs) != len(ls) {
		return false, nil, errdefs.InvalidParameter("invalid image: the manifest has %d layers, the config %d", len(ls), len(diffIDs))
	}
	layers := make([]*pullLayer, len(ls))
	var chainSoFar []digest.Digest
	for i, l := range ls {
		h, err := l.Digest()
		if err != nil {
			return false, nil, classify(err, "read manifest")
		}
		size, err := l.Size()
		if err != nil {
			return false, nil, classify(err, "read manifest")
		}
		d, err := digest.Parse(diffIDs[i].String())
		if err != nil {
			return false, nil, errdefs.InvalidParameter("invalid image config: diff_id %q: %v", diffIDs[i], err)
		}
		pl := &pullLayer{l: l, blob: h, size: size, diffID: d, id: layerID(h), ready: make(chan struct{})}
		if i > 0 {
			pl.parent = layers[i-1].chain
		}
		chainSoFar = append(chainSoFar, d)
		pl.chain = identity.ChainID(append([]digest.Digest(nil), chainSoFar...))
		layers[i] = pl
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	allThere = true
	var todo []*pullLayer
	for _, pl := range layers {
		if n, ok := s.store.LayerSize(pl.chain); ok {
			pl.stored = n
			close(pl.ready)
			p.layer(pl.id, "Already exists")
			continue
		}
		allThere = false
		todo = append(todo, pl)
		p.layer(pl.id, "Pulling fs layer")
	}
	sem := make(chan struct{}, s.opts.MaxDownloads)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for i, pl := range todo {
		if i >= s.opts.MaxDownloads {
			p.layer(pl.id, "Waiting")
		}
		wg.Add(1)
		go func(pl *pullLayer) {
			defer wg.Done()
			defer close(pl.ready)
			if err := s.pullLayer(ctx, repo, pl, layers, sem, p); err != nil {
				pl.err = err
				fail(err)
			}
		}(pl)
	}
	wg.Wait()
	if firstErr != nil {
		return false, nil, firstErr
	}
	for _, pl := range layers {
		sizes = append(sizes, pl.stored)
	}
	return allThere, sizes, nil
}

// pullLayer fetches and registers one layer, unless a concurrent pull
// does it first.
func (s *Service) pullLayer(ctx context.Context, repo name.Repository, pl *pullLayer, all []*pullLayer, sem chan struct{}, p *progress) error {
	for {
		owner, err := s.acquire(ctx, pl.chain)
		if err != nil {
			return err
		}
		if owner {
			break
		}
		if n, ok := s.store.LayerSize(pl.chain); ok {
			pl.stored = n
			p.layer(pl.id, "Already exists")
			return nil
		}
	}
	defer s.release(pl.chain)
	if n, ok := s.store.LayerSize(pl.chain); ok {
		pl.stored = n
		p.layer(pl.id, "Already exists")
		return nil
	}
	sp, err := newSpool(s.tmpDir)
	if err != nil {
		return err
	}
	defer sp.close()
	dlDone := make(chan error, 1)
	go func() { dlDone <- s.download(ctx, pl, sp, sem, p) }()

	// The parent must be registered before this layer can unpack on it.
	if pl.parent != "" {
		parent := parentOf(pl, all)
		select {
		case <-parent.ready:
		case <-ctx.Done():
			sp.finish(ctx.Err())
			<-dlDone
			return ctx.Err()
		}
		if parent.err != nil {
			<-dlDone
			return parent.err
		}
	}
	chain, isNew, err := s.extract(pl, sp, p)
	dlErr := <-dlDone
	if dlErr != nil || err != nil {
		if chain != "" && isNew {
			s.store.DropLayers([]digest.Digest{chain})
		}
		if dlErr != nil {
			return dlErr
		}
		return err
	}
	n, _ := s.store.LayerSize(chain)
	pl.stored = n
	p.layer(pl.id, "Pull complete")
	s.meta.add(pl.diffID, blobSource{Digest: digest.Digest(pl.blob.String()), Size: pl.size, Repository: repo.String()})
	return nil
}

func parentOf(pl *pullLayer, all []*pullLayer) *pullLayer {
	for i, l := range all {
		if l == pl && i > 0 {
			return all[i-1]
		}
	}
	return nil
}

// download copies the compressed blob into the spool; ggcr's reader
// checks size and digest at the end, and a mismatch becomes the spool's
// error, which the extractor reads instead of EOF.
func (s *Service) download(ctx context.Context, pl *pullLayer, sp *spool, sem chan struct{}, p *progress) (err error) {
	defer func() { sp.finish(err) }()
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-sem }()
	rc, err := pl.l.Compressed()
	if err != nil {
		return classify(err, "download layer "+pl.blob.String())
	}
	defer rc.Close()
	c := &counter{r: rc, p: p, id: pl.id, action: "Downloading", total: pl.size}
	if _, err := io.Copy(sp, c); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("failed to download layer %s: %w", pl.blob, err)
	}
	p.layer(pl.id, "Verifying Checksum")
	p.layer(pl.id, "Download complete")
	return nil
}

// extract unpacks the spool into the layer store as it grows.
func (s *Service) extract(pl *pullLayer, sp *spool, p *progress) (digest.Digest, bool, error) {
	c := &counter{r: sp.reader(), p: p, id: pl.id, action: "Extracting", total: pl.size}
	rc, err := archive.DecompressStream(c)
	if err != nil {
		return "", false, fmt.Errorf("layer %s: %w", pl.blob, err)
	}
	defer rc.Close()
	chain, isNew, _, err := s.store.RegisterLayer(rc, pl.parent, pl.diffID)
	if err != nil {
		return "", false, fmt.Errorf("failed to register layer %s: %w", pl.blob, err)
	}
	// Read what the tar did not (padding, the compressed trailer): the
	// digest is only checked at the very end of the blob.
	if _, err := io.Copy(io.Discard, c); err != nil {
		return chain, isNew, fmt.Errorf("layer %s: %w", pl.blob, err)
	}
	return chain, isNew, nil
}
