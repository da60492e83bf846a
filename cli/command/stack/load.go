package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"
)

// Keys of a service that swarm cannot honour; docker's stack loader warns
// about them and deploys the rest (cli/compose/types in docker/cli).
var unsupportedProperties = []string{
	"build", "cgroupns_mode", "cgroup_parent", "devices", "domainname",
	"external_links", "ipc", "links", "mac_address", "network_mode", "pid",
	"privileged", "restart", "security_opt", "shm_size", "userns_mode",
}

var deprecatedProperties = map[string]string{
	"container_name": "Setting the container name is not supported.",
	"expose":         "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
}

// Keys docker refuses outright (no deploy at all).
var forbiddenProperties = map[string]string{
	"extends":       "Support for `extends` is not implemented yet.",
	"volume_driver": "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
	"volumes_from":  "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
	"cpu_quota":     "Set resource limits using deploy.resources",
	"cpu_shares":    "Set resource limits using deploy.resources",
	"cpuset":        "Set resource limits using deploy.resources",
	"mem_limit":     "Set resource limits using deploy.resources",
	"memswap_limit": "Set resource limits using deploy.resources",
}

// loadProject reads the stack's compose files with compose-go, under the
// stack name as project name so that networks, volumes, secrets and
// configs get docker's "<stack>_<name>" names. Warnings about ignored keys
// go to errw, as docker prints them.
func loadProject(ctx context.Context, files []string, stackName string, stdin io.Reader, errw io.Writer) (*types.Project, error) {
	p, err := readProject(ctx, files, stackName, stdin, errw)
	if err != nil {
		return nil, err
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.Image == "" {
			return nil, fmt.Errorf("invalid image reference for service %s: no image specified", name)
		}
		if _, err := reference.ParseAnyReference(s.Image); err != nil {
			return nil, fmt.Errorf("invalid image reference for service %s: %w", name, err)
		}
	}
	return p, nil
}

// readProject is loadProject without the image checks (`stack config`
// prints uninterpolated files too); extra adjusts the loader.
func readProject(ctx context.Context, files []string, stackName string, stdin io.Reader, errw io.Writer, extra ...func(*loader.Options)) (*types.Project, error) {
	if len(files) == 0 {
		return nil, errors.New("Specify a Compose file (with --compose-file)")
	}
	var workDir string
	if files[0] == "-" && len(files) == 1 {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		workDir = wd
	} else {
		abs, err := filepath.Abs(files[0])
		if err != nil {
			return nil, err
		}
		workDir = filepath.Dir(abs)
	}
	cfgFiles := make([]types.ConfigFile, 0, len(files))
	dicts := make([]map[string]any, 0, len(files))
	for _, f := range files {
		var (
			data []byte
			err  error
		)
		if f == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		var dict map[string]any
		if err := yaml.Unmarshal(data, &dict); err != nil {
			return nil, err
		}
		if dict == nil {
			return nil, errors.New("top-level object must be a mapping")
		}
		if forbidden := serviceProperties(dict, forbiddenProperties); len(forbidden) > 0 {
			return nil, fmt.Errorf("compose file contains unsupported options:\n\n%s\n", propertyWarnings(forbidden)) //nolint:staticcheck // docker's wording
		}
		name := f
		if f == "-" {
			name = filepath.Join(workDir, "-")
		}
		cfgFiles = append(cfgFiles, types.ConfigFile{Filename: name, Content: data})
		dicts = append(dicts, dict)
	}
	env := types.Mapping{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	details := types.ConfigDetails{WorkingDir: workDir, ConfigFiles: cfgFiles, Environment: env}
	// compose-go warns through logrus (e.g. "the attribute `version` is
	// obsolete"); docker stack, with its own v3 loader, prints nothing.
	lvl := logrus.GetLevel()
	logrus.SetLevel(logrus.ErrorLevel)
	p, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(stackName, true)
		// Undefined networks, volumes, secrets and configs are reported by
		// the conversion, in docker's words ("service web: undefined
		// network \"x\""), not compose-go's.
		o.SkipConsistencyCheck = true
		// Docker's stack loader does not apply profiles: every service deploys.
		o.Profiles = []string{"*"}
		for _, f := range extra {
			f(o)
		}
	})
	logrus.SetLevel(lvl)
	if err != nil {
		return nil, err
	}
	if u := unsupported(dicts); len(u) > 0 {
		fmt.Fprintf(errw, "Ignoring unsupported options: %s\n\n", strings.Join(u, ", "))
	}
	dep := map[string]string{}
	for _, d := range dicts {
		for k, v := range serviceProperties(d, deprecatedProperties) {
			dep[k] = v
		}
	}
	if len(dep) > 0 {
		fmt.Fprintf(errw, "Ignoring deprecated options:\n\n%s\n\n", propertyWarnings(dep))
	}
	return p, nil
}

func services(dict map[string]any) map[string]any {
	s, _ := dict["services"].(map[string]any)
	return s
}

func unsupported(dicts []map[string]any) []string {
	set := map[string]bool{}
	for _, d := range dicts {
		for _, s := range services(d) {
			sd, _ := s.(map[string]any)
			for _, p := range unsupportedProperties {
				if _, ok := sd[p]; ok {
					set[p] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func serviceProperties(dict map[string]any, props map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range services(dict) {
		sd, _ := s.(map[string]any)
		for p, desc := range props {
			if _, ok := sd[p]; ok {
				out[p] = desc
			}
		}
	}
	return out
}

func propertyWarnings(props map[string]string) string {
	msgs := make([]string, 0, len(props))
	for name, desc := range props {
		msgs = append(msgs, name+": "+desc)
	}
	slices.Sort(msgs)
	return strings.Join(msgs, "\n\n")
}
