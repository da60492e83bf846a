package image

import (
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// parseReference parses a user-supplied image name the way Docker does:
// normalized (docker.io/library/ prefix), ":latest" added when there is
// neither tag nor digest. Errors are 400-class with the library's wording
// ("invalid reference format: repository name (...) must be lowercase").
func parseReference(s string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	return reference.TagNameOnly(named), nil
}

// familiar turns a stored normalized reference back into the short form
// users see ("busybox:latest"); unparsable keys are returned unchanged.
func familiar(normalized string) string {
	r, err := reference.ParseNormalizedNamed(normalized)
	if err != nil {
		return normalized
	}
	return reference.FamiliarString(r)
}

// isDigestRef reports whether a stored reference is name@digest.
func isDigestRef(normalized string) bool { return strings.Contains(normalized, "@") }

// splitRefs separates stored references into familiar tags and digests,
// each sorted.
func splitRefs(refs []string) (tags, digests []string) {
	for _, r := range refs {
		if isDigestRef(r) {
			digests = append(digests, familiar(r))
		} else {
			tags = append(tags, familiar(r))
		}
	}
	sort.Strings(tags)
	sort.Strings(digests)
	return tags, digests
}

// refName is the repository part of a stored reference.
func refName(normalized string) string {
	if i := strings.IndexByte(normalized, '@'); i >= 0 {
		return normalized[:i]
	}
	// A tag follows the last ':' after the last '/', a port does not.
	slash := strings.LastIndexByte(normalized, '/')
	if i := strings.LastIndexByte(normalized, ':'); i > slash {
		return normalized[:i]
	}
	return normalized
}

// lookupTag returns the image ID a normalized reference points at.
func (s *Service) lookupTag(normalized string) (digest.Digest, bool) {
	var id digest.Digest
	s.opts.DB.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketTags).Get([]byte(normalized)); v != nil {
			id = digest.Digest(v)
		}
		return nil
	})
	return id, id != ""
}

// resolveID implements Docker's lookup order: full ID, then reference
// (tag or digest), then a unique ID prefix.
func (s *Service) resolveID(ref string) (digest.Digest, error) {
	notFound := errdefs.NotFound("No such image: %s", ref)
	if ref == "" {
		return "", notFound
	}
	if d, err := digest.Parse(ref); err == nil {
		if _, err := s.getRecord(d); err == nil {
			return d, nil
		}
		return "", notFound
	}
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		named = reference.TagNameOnly(named)
		if id, ok := s.lookupTag(named.String()); ok {
			return id, nil
		}
		// name@digest also matches an image whose manifest has that digest.
		if c, ok := named.(reference.Canonical); ok {
			if id, ok := s.byManifest(c.Digest()); ok {
				return id, nil
			}
		}
	}
	return s.searchID(ref, notFound)
}

// searchID finds an image by (short) hex ID, with or without "sha256:".
func (s *Service) searchID(ref string, notFound error) (digest.Digest, error) {
	hex := strings.TrimPrefix(ref, "sha256:")
	if hex == "" || len(hex) > 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", notFound
	}
	recs, err := s.records()
	if err != nil {
		return "", err
	}
	var found digest.Digest
	for _, r := range recs {
		if strings.HasPrefix(r.ID.Encoded(), hex) {
			if found != "" {
				return "", errdefs.InvalidParameter("ambiguous image ID prefix %q: matches more than one image", ref)
			}
			found = r.ID
		}
	}
	if found == "" {
		return "", notFound
	}
	return found, nil
}

func (s *Service) byManifest(d digest.Digest) (digest.Digest, bool) {
	recs, err := s.records()
	if err != nil {
		return "", false
	}
	for _, r := range recs {
		if r.Manifest == d {
			return r.ID, true
		}
	}
	return "", false
}

// isIDRef reports whether ref names the image by ID (full or prefix)
// rather than by a repository reference; rmi treats the two differently.
func isIDRef(id digest.Digest, ref string) bool {
	if ref == id.String() {
		return true
	}
	hex := strings.TrimPrefix(ref, "sha256:")
	return hex != "" && strings.HasPrefix(id.Encoded(), hex) && !strings.ContainsAny(hex, ":/@")
}

// newTagRef validates repo/tag for `docker tag` and returns the
// normalized reference, with Docker's error wording.
func newTagRef(repo, tag string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, errdefs.InvalidParameter("%s", err.Error())
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, errdefs.InvalidParameter("refusing to create a tag with a digest reference")
	}
	if tag == "" {
		named = reference.TagNameOnly(named)
	} else {
		if _, ok := named.(reference.Tagged); ok {
			return nil, errdefs.InvalidParameter("invalid reference format")
		}
		named, err = reference.WithTag(named, tag)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err.Error())
		}
	}
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return nil, errdefs.InvalidParameter("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return named, nil
}
