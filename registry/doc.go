// Package registry is berth's built-in OCI distribution registry
// (`berth registry serve`, `berth registry gc`). The protocol handlers and
// the filesystem storage come from github.com/distribution/distribution/v3
// as a library; this package builds its configuration from our flags (or a
// distribution config.yml), serves it with our own listener and TLS, and
// puts thin handlers of ours in front where the library falls short of the
// OCI distribution spec (see spec.go).
//
// Storage layout under --root is distribution's own (docker/registry/v2/
// blobs, repositories/<name>/_manifests, _layers, _uploads), so a root can
// be served by Debian's docker-registry and by us alike.
package registry
