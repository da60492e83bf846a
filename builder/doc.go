// Package builder is Docker's classic image builder (`POST /build`): it
// reads the build context (a tar, plain or compressed, or a remote git/URL
// source), parses the Dockerfile with BuildKit's front end
// (frontend/dockerfile/parser, instructions, shell) and runs each step with
// berth's own services: RUN in a container created through the container
// lifecycle, COPY/ADD/WORKDIR on a scratch read-write layer of the layer
// store, and every step committed as an image of the image store, as the
// classic builder does (so `docker history` shows one entry per step).
//
// On top of Docker's classic builder it skips stages the target does not
// need and builds independent stages at the same time; their output is
// replayed in Dockerfile order so the stream reads as a sequential build.
//
// The step cache maps (parent image, the step's run config, build args in
// scope, and for COPY/ADD a hash of the sources' contents and metadata) to
// the image the step produced. It is kept in the daemon database, so it
// survives restarts; `builder prune` drops it together with the
// intermediate images only it kept alive.
package builder
