// Package compose turns a compose project (loaded with the spec's own
// loader, compose-go) into Engine API calls, the way Docker Compose v2
// does: networks and volumes first, then containers in dependency order,
// each labelled com.docker.compose.* so that a later run (or another tool)
// finds them again and recreates only those whose configuration hash
// changed. It talks to the engine only through the moby API client.
package compose
