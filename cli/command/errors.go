package command

import "regexp"

var connFailed = regexp.MustCompile(`failed to connect to the docker API at (\S+?); check if the path is correct and if the daemon is running: .*`)

// DockerConnMessage rewrites the API client's connection-failure text into
// the docker CLI's wording ("Cannot connect to the Docker daemon at ...
// Is the docker daemon running?"), which users and scripts know.
func DockerConnMessage(msg string) string {
	return connFailed.ReplaceAllString(msg, "Cannot connect to the Docker daemon at $1. Is the docker daemon running?")
}
