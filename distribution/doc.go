// Package distribution is the daemon's registry client: pull (by tag or
// digest, every tag, a platform of an index), push (skipping blobs the
// registry has, mounting them from another repository of the same
// registry), login, with Docker's JSON progress stream. The protocol is
// github.com/google/go-containerregistry's remote package; this package
// adds the daemon's registry settings (insecure registries, mirrors,
// certs.d, concurrency), the streaming of layers into the layer store and
// the progress messages.
//
// Pulled layers stream straight into the layer store: each layer is
// downloaded into a spool file that its extractor reads while it grows,
// so layer N unpacks as soon as layer N-1 is registered, at download
// speed, while later layers are already downloading. Every blob is
// verified against its digest (ggcr checks the compressed digest at EOF,
// the layer store the diffID), and a layer whose check fails is removed.
package distribution
