package compose

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadOptions are the project-selection flags every compose command takes.
type LoadOptions struct {
	Files       []string // -f, in order; later files override earlier ones
	ProjectName string   // -p
	ProjectDir  string   // --project-directory
	EnvFiles    []string // --env-file
	Profiles    []string // --profile
	// Services restricts the project to these services (and what they
	// depend on); empty means all.
	Services []string
	// All keeps networks and volumes no enabled service uses (config).
	All bool
}

// ProjectOptions builds compose-go's options in the order Docker Compose
// applies them, so COMPOSE_FILE, COMPOSE_PROJECT_NAME, COMPOSE_PROFILES,
// .env and the default file names behave the same.
func (o LoadOptions) ProjectOptions() (*cli.ProjectOptions, error) {
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(o.ProjectDir),
		cli.WithOsEnv,
	}
	if _, ok := os.LookupEnv("PWD"); !ok {
		if pwd, err := os.Getwd(); err == nil {
			opts = append(opts, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	opts = append(opts,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		// The project directory may differ from the working directory:
		// read its .env too, as Compose does.
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithName(o.ProjectName),
	)
	return cli.NewProjectOptions(o.Files, opts...)
}

// Load reads and validates the project; errors are compose-go's own
// (they name the file and the offending key or line).
func Load(ctx context.Context, o LoadOptions) (*types.Project, error) {
	po, err := o.ProjectOptions()
	if err != nil {
		return nil, err
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, errors.New("project name can't be empty. Use `--project-name` to set a valid name")
	}
	p, err = p.WithServicesEnabled(o.Services...)
	if err != nil {
		return nil, err
	}
	for name, s := range p.Services {
		s.CustomLabels = map[string]string{
			ProjectLabel:     p.Name,
			ServiceLabel:     name,
			VersionLabel:     ComposeVersion,
			WorkingDirLabel:  p.WorkingDir,
			ConfigFilesLabel: strings.Join(p.ComposeFiles, ","),
			OneoffLabel:      "False",
		}
		if len(o.EnvFiles) != 0 {
			s.CustomLabels[EnvironmentFileLabel] = strings.Join(o.EnvFiles, ",")
		}
		p.Services[name] = s
	}
	p, err = p.WithSelectedServices(o.Services)
	if err != nil {
		return nil, err
	}
	if !o.All {
		p = p.WithoutUnnecessaryResources()
	}
	return p, nil
}

// ProjectName resolves only the project name (for commands such as down,
// ps or logs that work from labels when no compose file is around).
func ProjectName(ctx context.Context, o LoadOptions) (string, error) {
	if o.ProjectName != "" {
		return normalizeName(o.ProjectName), nil
	}
	if v := os.Getenv("COMPOSE_PROJECT_NAME"); v != "" {
		return normalizeName(v), nil
	}
	p, err := Load(ctx, o)
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

func normalizeName(s string) string { return strings.ToLower(s) }
