package compose

// The labels Docker Compose puts on what it creates; other tools (and a
// later run of either compose) find a project's objects through them.
const (
	ProjectLabel          = "com.docker.compose.project"
	ServiceLabel          = "com.docker.compose.service"
	ConfigHashLabel       = "com.docker.compose.config-hash"
	ContainerNumberLabel  = "com.docker.compose.container-number"
	VolumeLabel           = "com.docker.compose.volume"
	NetworkLabel          = "com.docker.compose.network"
	WorkingDirLabel       = "com.docker.compose.project.working_dir"
	ConfigFilesLabel      = "com.docker.compose.project.config_files"
	EnvironmentFileLabel  = "com.docker.compose.project.environment_file"
	OneoffLabel           = "com.docker.compose.oneoff"
	SlugLabel             = "com.docker.compose.slug"
	ImageDigestLabel      = "com.docker.compose.image"
	DependenciesLabel     = "com.docker.compose.depends_on"
	VersionLabel          = "com.docker.compose.version"
	ContainerReplaceLabel = "com.docker.compose.replace"
)

// ComposeVersion is the Docker Compose release whose behaviour we follow;
// it goes into the version label as Compose writes its own.
const ComposeVersion = "2.40.3"

// Separator joins project, service and number in container names.
const Separator = "-"
