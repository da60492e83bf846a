package logger

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// Info is what a driver may know about its container, with the names
// Docker's tag templates use ({{.ID}}, {{.Name}}, {{.ImageName}} ...).
type Info struct {
	Config              map[string]string // the log options
	ContainerID         string
	ContainerName       string // with or without the leading "/"
	ContainerEntrypoint string
	ContainerArgs       []string
	ContainerImageID    string
	ContainerImageName  string
	ContainerCreated    time.Time
	ContainerEnv        []string
	ContainerLabels     map[string]string
	Daemon              string // the engine's name in tags
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// ID is the short container ID.
func (i Info) ID() string { return short(i.ContainerID) }

// FullID is the container ID.
func (i Info) FullID() string { return i.ContainerID }

// Name is the container name without its leading slash.
func (i Info) Name() string { return strings.TrimPrefix(i.ContainerName, "/") }

// ImageID is the short image ID.
func (i Info) ImageID() string { return short(i.ContainerImageID) }

// ImageFullID is the image ID.
func (i Info) ImageFullID() string { return i.ContainerImageID }

// ImageName is the image as the user named it.
func (i Info) ImageName() string { return i.ContainerImageName }

// Command is the entrypoint and its arguments.
func (i Info) Command() string {
	return strings.TrimSpace(i.ContainerEntrypoint + " " + strings.Join(i.ContainerArgs, " "))
}

// Hostname is the daemon host's name.
func (i Info) Hostname() (string, error) { return hostname() }

// DaemonName names the engine in tags.
func (i Info) DaemonName() string { return i.Daemon }

// Tag renders the "tag" option (default def, Docker's being "{{.ID}}")
// as a template over Info.
func (i Info) Tag(def string) (string, error) {
	text := i.Config["tag"]
	if text == "" {
		text = def
	}
	t, err := template.New("log-tag").Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, &i); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ExtraAttributes are the labels and environment variables the options
// labels, labels-regex, env and env-regex select; keyMod renames keys
// (gelf prefixes "_").
func (i Info) ExtraAttributes(keyMod func(string) string) (map[string]string, error) {
	out := map[string]string{}
	add := func(k, v string) {
		if keyMod != nil {
			k = keyMod(k)
		}
		out[k] = v
	}
	if labels, ok := i.Config["labels"]; ok && labels != "" {
		for _, l := range strings.Split(labels, ",") {
			if v, ok := i.ContainerLabels[l]; ok {
				add(l, v)
			}
		}
	}
	if re, ok := i.Config["labels-regex"]; ok && re != "" {
		r, err := regexp.Compile(re)
		if err != nil {
			return nil, err
		}
		for k, v := range i.ContainerLabels {
			if r.MatchString(k) {
				add(k, v)
			}
		}
	}
	env := map[string]string{}
	for _, kv := range i.ContainerEnv {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			env[k] = v
		}
	}
	if keys, ok := i.Config["env"]; ok && keys != "" {
		for _, k := range strings.Split(keys, ",") {
			if v, ok := env[k]; ok {
				add(k, v)
			}
		}
	}
	if re, ok := i.Config["env-regex"]; ok && re != "" {
		r, err := regexp.Compile(re)
		if err != nil {
			return nil, err
		}
		for k, v := range env {
			if r.MatchString(k) {
				add(k, v)
			}
		}
	}
	return out, nil
}

// ParseAddress splits "proto://host:port" (or a unix path) for the
// network drivers.
func ParseAddress(addr string) (proto, target string, err error) {
	p, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return "", "", fmt.Errorf("invalid address %q: missing protocol", addr)
	}
	return p, rest, nil
}
