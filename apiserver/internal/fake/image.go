package fake

import (
	"context"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"

	irouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// Images is a fake image backend: a tag -> ID map. LoadImage reads the tar
// body as "name1 name2 ..." text and tags each name; ImportImage tags
// repo:tag with the body's length in the ID.
type Images struct {
	mu   sync.Mutex
	Tags map[string]string // reference -> ID
}

// NewImages returns a backend with the given references.
func NewImages(refs ...string) *Images {
	im := &Images{Tags: map[string]string{}}
	for _, r := range refs {
		im.Tags[r] = "sha256:" + strings.Repeat("a", 64)
	}
	return im
}

func (f *Images) lookup(ref string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.Tags[ref]; ok {
		return id, nil
	}
	if id, ok := f.Tags[ref+":latest"]; ok {
		return id, nil
	}
	return "", errdefs.NotFound("No such image: %s", ref)
}

func (f *Images) Images(ctx context.Context, opts irouter.ListOptions) ([]image.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []image.Summary
	var refs []string
	for r := range f.Tags {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	for _, r := range refs {
		if !opts.Filters.Match("reference", r) {
			continue
		}
		out = append(out, image.Summary{ID: f.Tags[r], RepoTags: []string{r}})
	}
	return out, nil
}

func (f *Images) ImageInspect(ctx context.Context, ref string) (*image.InspectResponse, error) {
	id, err := f.lookup(ref)
	if err != nil {
		return nil, err
	}
	return &image.InspectResponse{ID: id, RepoTags: []string{ref}}, nil
}

func (f *Images) ImageHistory(ctx context.Context, ref string) ([]image.HistoryResponseItem, error) {
	id, err := f.lookup(ref)
	if err != nil {
		return nil, err
	}
	return []image.HistoryResponseItem{{ID: id, CreatedBy: "fake"}}, nil
}

func (f *Images) ImageTag(ctx context.Context, source, repo, tag string) error {
	id, err := f.lookup(source)
	if err != nil {
		return err
	}
	if tag == "" {
		tag = "latest"
	}
	// The client sends fully qualified names; store them the short way.
	repo = strings.TrimPrefix(strings.TrimPrefix(repo, "docker.io/"), "library/")
	f.mu.Lock()
	f.Tags[repo+":"+tag] = id
	f.mu.Unlock()
	return nil
}

func (f *Images) ImageDelete(ctx context.Context, ref string, force, noPrune bool) ([]image.DeleteResponse, error) {
	if _, err := f.lookup(ref); err != nil {
		return nil, err
	}
	f.mu.Lock()
	delete(f.Tags, ref)
	f.mu.Unlock()
	return []image.DeleteResponse{{Untagged: ref}}, nil
}

func (f *Images) ImagesPrune(ctx context.Context, fl filters.Args) (*image.PruneReport, error) {
	return &image.PruneReport{}, nil
}

func writeMsg(out io.Writer, m jsonstream.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\n'))
	return err
}

func (f *Images) LoadImage(ctx context.Context, in io.Reader, out io.Writer, quiet bool) error {
	body, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	names := strings.Fields(string(body))
	if len(names) == 0 {
		return errdefs.InvalidParameter("empty archive")
	}
	for _, n := range names {
		if n == "BROKEN" {
			return errdefs.InvalidParameter("archive is broken")
		}
		f.mu.Lock()
		f.Tags[n] = "sha256:" + strings.Repeat("b", 64)
		f.mu.Unlock()
		if !quiet {
			if err := writeMsg(out, jsonstream.Message{Status: "Loading layer", ID: n}); err != nil {
				return err
			}
		}
		if err := writeMsg(out, jsonstream.Message{Stream: "Loaded image: " + n + "\n"}); err != nil {
			return err
		}
	}
	return nil
}

func (f *Images) ExportImage(ctx context.Context, names []string, out io.Writer) error {
	for _, n := range names {
		if _, err := f.lookup(n); err != nil {
			return err
		}
	}
	_, err := io.WriteString(out, "TAR:"+strings.Join(names, ","))
	return err
}

func (f *Images) ImportImage(ctx context.Context, in io.Reader, repo, tag, message string, changes []string, out io.Writer) error {
	body, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	id := "sha256:" + strings.Repeat("d", 64)
	if repo != "" {
		if tag == "" {
			tag = "latest"
		}
		f.mu.Lock()
		f.Tags[repo+":"+tag] = id
		f.mu.Unlock()
	}
	return writeMsg(out, jsonstream.Message{Status: id, ID: strings.Join(changes, ";") + "|" + message + "|" + string(body)})
}

// PullImage fails like a daemon without registry access; the real one is
// package distribution.
func (f *Images) PullImage(ctx context.Context, req irouter.PullRequest, out io.Writer) error {
	return errdefs.NotImplemented("pulling images needs the distribution package")
}

// Login accepts john/secret only.
func (f *Images) Login(ctx context.Context, a registry.AuthConfig) (registry.AuthResponse, error) {
	if a.Username != "john" || a.Password != "secret" {
		return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to http://%s/v2/ failed with status: 401 Unauthorized", a.ServerAddress)
	}
	return registry.AuthResponse{Status: "Login Succeeded"}, nil
}

func (f *Images) PushImage(ctx context.Context, req irouter.PushRequest, out io.Writer) error {
	ref := req.Image
	if _, err := f.lookup(ref); err != nil {
		return err
	}
	if err := writeMsg(out, jsonstream.Message{Status: "The push refers to repository [" + ref + "]"}); err != nil {
		return err
	}
	return errdefs.Unavailable("registry unreachable")
}
