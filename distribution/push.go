package distribution

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
)

// Docker's schema2 media types: what Docker Engine's classic store pushes,
// and what every registry (distribution 2.x included) accepts.
const (
	mediaManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaConfig   = "application/vnd.docker.container.image.v1+json"
	mediaLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

type descriptor struct {
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Digest    digest.Digest `json:"digest"`
}

type schema2 struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

// PushImage implements POST /images/{name}/push: one tag, or every tag of
// the repository when Tag is empty.
func (s *Service) PushImage(ctx context.Context, req imagerouter.PushRequest, out io.Writer) error {
	named, err := reference.ParseNormalizedNamed(req.Image)
	if err != nil {
		return errdefs.InvalidParameter("invalid reference format: %v", err)
	}
	if _, ok := named.(reference.Canonical); ok {
		return errdefs.InvalidParameter("cannot push a digest reference")
	}
	var tags []reference.NamedTagged
	switch {
	case req.Tag != "":
		t, err := reference.WithTag(reference.TrimNamed(named), req.Tag)
		if err != nil {
			return errdefs.InvalidParameter("invalid tag %q: %v", req.Tag, err)
		}
		tags = []reference.NamedTagged{t}
	default:
		if t, ok := named.(reference.NamedTagged); ok {
			tags = []reference.NamedTagged{t}
		} else {
			tags = s.store.TagsOf(named)
			sort.Slice(tags, func(i, j int) bool { return tags[i].Tag() < tags[j].Tag() })
		}
	}
	if len(tags) == 0 {
		return errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarName(named))
	}
	// Fail before any output for a missing image, as Docker does.
	if _, _, _, err := s.store.PushSource(tags[0].String()); err != nil {
		if errdefs.IsNotFound(err) {
			return errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarString(tags[0]))
		}
		return err
	}
	p := &progress{out: out}
	p.status("The push refers to repository [" + reference.TrimNamed(named).String() + "]")
	for _, t := range tags {
		if err := s.pushTag(ctx, t, req, p); err != nil {
			return err
		}
	}
	return nil
}

// session is the authenticated client of one push.
type session struct {
	client *http.Client
	base   string // scheme://host
	repo   name.Repository
}

func (s *Service) pushTag(ctx context.Context, tagged reference.NamedTagged, req imagerouter.PushRequest, p *progress) error {
	id, config, layers, err := s.store.PushSource(tagged.String())
	if err != nil {
		return err
	}
	host := reference.Domain(tagged)
	repo, err := name.NewRepository(tagged.Name(), s.opts.nameOptions(host)...)
	if err != nil {
		return errdefs.InvalidParameter("invalid reference format: %v", err)
	}
	rt, err := s.opts.roundTripper(ctx, host)
	if err != nil {
		return err
	}
	// Pull scope on sibling repositories lets blobs be mounted from them.
	scopes := []string{repo.Scope(transport.PushScope)}
	for _, l := range layers {
		for _, src := range s.meta.get(l.DiffID) {
			if r, err := name.NewRepository(src.Repository, s.opts.nameOptions(host)...); err == nil && r.RegistryStr() == repo.RegistryStr() && r.String() != repo.String() {
				scopes = append(scopes, r.Scope(transport.PullScope))
			}
		}
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, authenticator(req.Auth), rt, scopes)
	if err != nil {
		return classify(err, "push "+reference.FamiliarString(tagged))
	}
	ss := &session{client: &http.Client{Transport: tr}, base: repo.Registry.Scheme() + "://" + repo.RegistryStr(), repo: repo}

	descs := make([]descriptor, len(layers))
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.opts.MaxUploads)
	for _, l := range layers {
		p.layer(shortID(l.DiffID.Encoded()), "Preparing")
	}
	for i, l := range layers {
		if i >= s.opts.MaxUploads {
			p.layer(shortID(l.DiffID.Encoded()), "Waiting")
		}
		wg.Add(1)
		go func(i int, l image.PushLayer) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			d, err := s.pushLayer(ctx, ss, l, p)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
				return
			}
			descs[i] = d
		}(i, l)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	cfgDesc := descriptor{MediaType: mediaConfig, Size: int64(len(config)), Digest: digest.FromBytes(config)}
	if err := ss.ensureBlob(ctx, cfgDesc, bytes.NewReader(config)); err != nil {
		return err
	}
	mf, err := json.MarshalIndent(schema2{SchemaVersion: 2, MediaType: mediaManifest, Config: cfgDesc, Layers: descs}, "", "   ")
	if err != nil {
		return err
	}
	if err := ss.putManifest(ctx, tagged.Tag(), mf); err != nil {
		return err
	}
	md := digest.FromBytes(mf)
	if canon, err := reference.WithDigest(reference.TrimNamed(tagged), md); err == nil {
		s.store.AddReference(id, canon)
	}
	s.store.Pushed(id, tagged)
	p.status(fmt.Sprintf("%s: digest: %s size: %d", tagged.Tag(), md, len(mf)))
	aux, _ := json.Marshal(map[string]any{"Tag": tagged.Tag(), "Digest": md.String(), "Size": len(mf)})
	raw := json.RawMessage(aux)
	p.writeAux(&raw)
	return nil
}

// pushLayer makes one layer present in the repository: known to be there
// already, mounted from a sibling repository, or compressed and uploaded.
func (s *Service) pushLayer(ctx context.Context, ss *session, l image.PushLayer, p *progress) (descriptor, error) {
	id := shortID(l.DiffID.Encoded())
	for _, src := range s.meta.get(l.DiffID) {
		d := descriptor{MediaType: mediaLayer, Size: src.Size, Digest: src.Digest}
		if src.Repository == ss.repo.String() {
			if ok, _ := ss.hasBlob(ctx, src.Digest); ok {
				p.layer(id, "Layer already exists")
				return d, nil
			}
			continue
		}
		from, err := name.NewRepository(src.Repository)
		if err != nil || from.RegistryStr() != ss.repo.RegistryStr() {
			continue
		}
		if ok, _ := ss.hasBlob(ctx, src.Digest); ok {
			p.layer(id, "Layer already exists")
			s.meta.add(l.DiffID, blobSource{Digest: src.Digest, Size: src.Size, Repository: ss.repo.String()})
			return d, nil
		}
		if ss.mount(ctx, src.Digest, from.RepositoryStr()) {
			p.layer(id, "Mounted from "+from.RepositoryStr())
			s.meta.add(l.DiffID, blobSource{Digest: src.Digest, Size: src.Size, Repository: ss.repo.String()})
			return d, nil
		}
	}
	f, d, err := s.compress(l)
	if err != nil {
		return descriptor{}, err
	}
	defer f.Close()
	if ok, _ := ss.hasBlob(ctx, d.Digest); ok {
		p.layer(id, "Layer already exists")
	} else {
		c := &counter{r: f, p: p, id: id, action: "Pushing", total: d.Size}
		if err := ss.upload(ctx, d, c); err != nil {
			return descriptor{}, err
		}
		p.layer(id, "Pushed")
	}
	s.meta.add(l.DiffID, blobSource{Digest: d.Digest, Size: d.Size, Repository: ss.repo.String()})
	return d, nil
}

// compress gzips a layer's tar into an unlinked temp file, hashing it on
// the way: the digest must be known before the upload ends.
func (s *Service) compress(l image.PushLayer) (*os.File, descriptor, error) {
	rc, err := s.store.LayerTar(l.Chain)
	if err != nil {
		return nil, descriptor{}, err
	}
	defer rc.Close()
	f, err := os.CreateTemp(s.tmpDir, "push-")
	if err != nil {
		return nil, descriptor{}, err
	}
	os.Remove(f.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	zw, _ := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if _, err := io.Copy(zw, rc); err != nil {
		f.Close()
		return nil, descriptor{}, fmt.Errorf("compress layer %s: %w", l.DiffID, err)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return nil, descriptor{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, descriptor{}, err
	}
	d := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
	return f, descriptor{MediaType: mediaLayer, Size: cw.n, Digest: d}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (ss *session) url(path string) string {
	return ss.base + "/v2/" + ss.repo.RepositoryStr() + path
}

func (ss *session) do(ctx context.Context, method, u string, body io.Reader, size int64, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return ss.client.Do(req)
}

func (ss *session) hasBlob(ctx context.Context, d digest.Digest) (bool, error) {
	resp, err := ss.do(ctx, http.MethodHead, ss.url("/blobs/"+d.String()), nil, 0, nil)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// mount asks for a cross-repository mount; false means upload instead.
func (ss *session) mount(ctx context.Context, d digest.Digest, from string) bool {
	q := url.Values{"mount": {d.String()}, "from": {from}}
	resp, err := ss.do(ctx, http.MethodPost, ss.url("/blobs/uploads/?"+q.Encode()), nil, 0, nil)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		return true
	}
	// A 202 opened an upload we do not use: cancel it.
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusAccepted && loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			if r, err := ss.do(ctx, http.MethodDelete, u.String(), nil, 0, nil); err == nil {
				r.Body.Close()
			}
		}
	}
	return false
}

// ensureBlob uploads a small blob unless the repository has it.
func (ss *session) ensureBlob(ctx context.Context, d descriptor, r io.Reader) error {
	if ok, _ := ss.hasBlob(ctx, d.Digest); ok {
		return nil
	}
	return ss.upload(ctx, d, r)
}

// upload is Docker's sequence: POST to open, one streaming PATCH, PUT
// with the digest to commit.
func (ss *session) upload(ctx context.Context, d descriptor, r io.Reader) error {
	resp, err := ss.do(ctx, http.MethodPost, ss.url("/blobs/uploads/"), nil, 0, nil)
	if err != nil {
		return classify(err, "push blob")
	}
	if resp.StatusCode != http.StatusAccepted {
		return registryError(resp, "start upload of "+d.Digest.String())
	}
	resp.Body.Close()
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location: %w", err)
	}
	resp, err = ss.do(ctx, http.MethodPatch, loc.String(), r, d.Size, map[string]string{"Content-Type": "application/octet-stream"})
	if err != nil {
		return classify(err, "push blob "+d.Digest.String())
	}
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
		return registryError(resp, "upload "+d.Digest.String())
	}
	resp.Body.Close()
	if loc, err = resp.Request.URL.Parse(resp.Header.Get("Location")); err != nil {
		return fmt.Errorf("upload location: %w", err)
	}
	q := loc.Query()
	q.Set("digest", d.Digest.String())
	loc.RawQuery = q.Encode()
	resp, err = ss.do(ctx, http.MethodPut, loc.String(), nil, 0, nil)
	if err != nil {
		return classify(err, "commit blob "+d.Digest.String())
	}
	if resp.StatusCode != http.StatusCreated {
		return registryError(resp, "commit "+d.Digest.String())
	}
	resp.Body.Close()
	return nil
}

func (ss *session) putManifest(ctx context.Context, tag string, mf []byte) error {
	resp, err := ss.do(ctx, http.MethodPut, ss.url("/manifests/"+tag), bytes.NewReader(mf), int64(len(mf)), map[string]string{"Content-Type": mediaManifest})
	if err != nil {
		return classify(err, "push manifest")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return registryError(resp, "push manifest")
	}
	return nil
}

// registryError turns a registry's error answer into ggcr's error (whose
// text is the registry's "code: message"), classified.
func registryError(resp *http.Response, what string) error {
	defer resp.Body.Close()
	err := transport.CheckError(resp, http.StatusAccepted, http.StatusCreated, http.StatusOK, http.StatusNoContent)
	if err == nil {
		err = fmt.Errorf("unexpected status %s", resp.Status)
	}
	return classify(err, what)
}
