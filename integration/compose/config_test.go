package compose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigLoading(t *testing.T) {
	p := newProject(t, "cfgload", map[string]string{
		".env": "TAG=latest\nMSG=from-dotenv\n",
		"compose.yaml": `services:
  web:
    image: busybox:${TAG}
    command: ["echo", "${MSG}", "${UNSET:-dflt}"]
    extends:
      file: base.yaml
      service: base
  debug:
    image: busybox
    profiles: [debug]
include:
  - inc/compose.yaml
volumes:
  data:
`,
		"base.yaml":        "services:\n  base:\n    environment:\n      FROM_BASE: yes\n    labels:\n      x.base: \"1\"\n",
		"inc/compose.yaml": "services:\n  included:\n    image: busybox\n",
	})
	if got := strings.Fields(p.compose("config", "--services")); strings.Join(got, ",") != "included,web" {
		t.Errorf("config --services = %v (profile debug must be off)", got)
	}
	if got := strings.Fields(p.compose("--profile", "debug", "config", "--services")); strings.Join(got, ",") != "debug,included,web" {
		t.Errorf("--profile debug config --services = %v", got)
	}
	p.env = []string{"COMPOSE_PROFILES=debug"}
	if got := strings.Fields(p.compose("config", "--services")); len(got) != 3 {
		t.Errorf("COMPOSE_PROFILES: %v", got)
	}
	p.env = nil
	if out := p.compose("config", "-q"); out != "" {
		t.Errorf("config -q printed %q", out)
	}
	out := p.compose("config")
	mustContain(t, out, "name: cfgload", "image: busybox:latest", "from-dotenv", "dflt", "FROM_BASE: \"yes\"", "x.base: \"1\"")
	mustContain(t, p.compose("config", "--format", "json"), `"name": "cfgload"`)
	p.compose("--all-resources", "config", "--volumes")
	// The environment wins over .env.
	p.env = []string{"MSG=from-env"}
	mustContain(t, p.compose("config"), "from-env")
	p.env = nil
	// --env-file replaces .env.
	writeFile(t, filepath.Join(p.Dir, "alt.env"), "TAG=1.0\nMSG=alt\n")
	mustContain(t, p.compose("--env-file", "alt.env", "config"), "image: busybox:1.0", "alt")
}

func TestProjectSelection(t *testing.T) {
	p := newProject(t, "Sel.Ected-Dir", map[string]string{
		"compose.yaml":          "services:\n  a:\n    image: busybox\n    command: [\"sleep\", \"1000\"]\n    stop_grace_period: 0s\n",
		"compose.override.yaml": "services:\n  a:\n    environment:\n      OVR: \"1\"\n",
		"other.yaml":            "services:\n  b:\n    image: busybox\n",
	})
	// Project name from the directory, normalised as Compose does; the
	// override file is merged by default.
	out := p.compose("config")
	mustContain(t, out, "name: selected-dir", `OVR: "1"`)
	// -f several: merged in order.
	mustContain(t, p.compose("-f", "compose.yaml", "-f", "other.yaml", "config", "--services"), "a\nb")
	mustNotContain(t, p.compose("-f", "compose.yaml", "config"), "OVR")
	// COMPOSE_FILE with the path separator.
	p.env = []string{"COMPOSE_FILE=compose.yaml:other.yaml"}
	mustContain(t, p.compose("config", "--services"), "a\nb")
	// -p and COMPOSE_PROJECT_NAME.
	p.env = []string{"COMPOSE_PROJECT_NAME=fromenv"}
	mustContain(t, p.compose("config"), "name: fromenv")
	p.env = nil
	mustContain(t, p.compose("-p", "flagname", "config"), "name: flagname")
	// --project-directory from elsewhere.
	other := t.TempDir()
	p2 := &project{t: t, d: p.d, Dir: other, Name: p.Name}
	mustContain(t, p2.compose("--project-directory", p.Dir, "config", "--services"), "a")
	// No file at all: Compose's wording.
	out, code := p2.composeFail("config")
	mustContain(t, out, "no configuration file provided: not found")
	if code != 1 {
		t.Errorf("exit code %d", code)
	}
	// down works by project name without a file.
	p.compose("-p", "byname", "up", "-d")
	mustContain(t, p2.compose("-p", "byname", "down", "-t", "0"), "Container byname-a-1  Removed")
}

func TestInvalidFiles(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"yaml", "services:\n  a:\n    image: busybox\n   bad: indent\n", []string{"yaml: "}},
		{"unknown key", "services:\n  a:\n    image: busybox\n    imag: typo\n", []string{"services.a", "imag"}},
		{"wrong type", "services:\n  a:\n    image: busybox\n    ports: 80\n", []string{"services.a.ports must be a array"}},
		{"missing env file", "services:\n  a:\n    image: busybox\n    env_file: nope.env\n", []string{"env file", "nope.env", "not found"}},
		{"missing build context", "services:\n  a:\n    build: ./nope\n", []string{"unable to prepare context", "nope", "not found"}},
		{"undefined volume", "services:\n  a:\n    image: busybox\n    volumes: [\"ghost:/x\"]\n", []string{"undefined volume ghost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, "invalid", map[string]string{"compose.yaml": tt.file})
			out, code := p.composeFail("up", "-d")
			mustContain(t, out, tt.want...)
			if code != 1 {
				t.Errorf("exit code %d", code)
			}
			if cs := p.containers(); len(cs) != 0 {
				t.Errorf("containers created: %v", cs)
			}
			nets, _ := p.run("network", "ls", "-q", "--filter", "label=com.docker.compose.project=invalid")
			if strings.TrimSpace(nets) != "" {
				t.Errorf("networks created: %s", nets)
			}
		})
	}
	_ = os.Getenv
}
