package container

import (
	"context"
	"io"
	"time"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
)

// Backend is everything the container routes need. It is implemented by the
// lifecycle package. Errors are classed with internal/errdefs; the router
// never inspects them beyond handing them to httperrors.
type Backend interface {
	ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, name string) error
	// ContainerStop sends signal (or the container's stop signal when empty),
	// waits timeout seconds (nil: the container's StopTimeout, default 10;
	// -1: forever), then SIGKILLs.
	ContainerStop(ctx context.Context, name string, signal string, timeout *int) error
	ContainerRestart(ctx context.Context, name string, signal string, timeout *int) error
	ContainerKill(ctx context.Context, name string, signal string) error
	ContainerPause(ctx context.Context, name string) error
	ContainerUnpause(ctx context.Context, name string) error
	ContainerRemove(ctx context.Context, name string, opts RemoveOptions) error
	// ContainerWait returns once the condition is reached; the channel
	// yields exactly one result.
	ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan WaitResult, error)
	ContainerRename(ctx context.Context, oldName, newName string) error
	ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error)
	ContainerList(ctx context.Context, opts ListOptions) ([]container.Summary, error)
	ContainerLogs(ctx context.Context, name string, opts LogsOptions) (msgs <-chan *LogMessage, tty bool, err error)
	ContainerAttach(ctx context.Context, name string, cfg *AttachConfig) error
	ContainerResize(ctx context.Context, name string, height, width int) error
	ContainerTop(ctx context.Context, name string, psArgs string) (*container.TopResponse, error)
	// ContainerStats calls emit for each sample (once unless Stream); it
	// returns when the stream ends. emit(nil) opens the response without a
	// sample (a stream on a stopped container).
	ContainerStats(ctx context.Context, name string, opts StatsOptions, emit func(*container.StatsResponse) error) error
	ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error)
	ContainerStatPath(ctx context.Context, name, path string) (*container.PathStat, error)
	// ContainerArchivePath returns a tar of path inside the container.
	ContainerArchivePath(ctx context.Context, name, path string) (io.ReadCloser, *container.PathStat, error)
	// ContainerExtractToDir extracts the tar in content into path (a
	// directory) inside the container, confined to the container's root.
	ContainerExtractToDir(ctx context.Context, name, path string, copyUIDGID, noOverwriteDirNonDir bool, content io.Reader) error
	ContainerExport(ctx context.Context, name string, out io.Writer) error
	ContainerUpdate(ctx context.Context, name string, cfg *container.UpdateConfig) (container.UpdateResponse, error)
	ContainersPrune(ctx context.Context, f filters.Args) (*container.PruneReport, error)
	// ContainerCommit is POST /commit: returns the new image ID.
	ContainerCommit(ctx context.Context, name string, opts CommitOptions) (string, error)

	ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error)
	ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error)
	// ExecStart runs the exec process and returns when it has exited and its
	// output is flushed. With Detach, GetStreams is nil and it returns once
	// the process started.
	ExecStart(ctx context.Context, id string, cfg *ExecStartConfig) error
	ExecResize(ctx context.Context, id string, height, width int) error
}

// StatsOptions are the query parameters of GET /containers/{id}/stats.
type StatsOptions struct {
	Stream  bool // a sample every second until the client leaves
	OneShot bool // with !Stream: one sample at once, precpu left empty
}

// RemoveOptions are the query parameters of DELETE /containers/{id}.
type RemoveOptions struct {
	Force         bool
	RemoveVolumes bool
	RemoveLink    bool
}

// WaitResult is the outcome of ContainerWait.
type WaitResult struct {
	StatusCode int64
	Err        error // reported in the response's Error.Message, status stays 200
}

// ListOptions are the query parameters of GET /containers/json.
type ListOptions struct {
	All     bool
	Limit   int // -1 or 0: no limit
	Size    bool
	Filters filters.Args
}

// LogsOptions are the query parameters of GET /containers/{id}/logs.
type LogsOptions struct {
	ShowStdout bool
	ShowStderr bool
	Follow     bool
	Timestamps bool
	Details    bool
	Since      time.Time // zero: no bound
	Until      time.Time // zero: no bound
	Tail       int       // -1: all
}

// LogMessage is one log record. Line includes its trailing newline when the
// container wrote one.
type LogMessage struct {
	Stream string // "stdout" or "stderr"
	Line   []byte
	Time   time.Time
	Attrs  map[string]string
	Err    error // a read error ends the stream
}

// AttachConfig is POST /containers/{id}/attach. The backend calls GetStreams
// once it knows whether the container has a TTY: multiplexed is true when it
// has none, and then stdout/stderr must be framed with stdcopy by the router.
// GetStreams hijacks the HTTP connection and writes the upgrade response.
type AttachConfig struct {
	UseStdin   bool
	UseStdout  bool
	UseStderr  bool
	Logs       bool
	Stream     bool
	DetachKeys string
	GetStreams func(multiplexed bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
}

// ExecStartConfig is POST /exec/{id}/start. GetStreams behaves as in
// AttachConfig and is nil when Detach is set.
type ExecStartConfig struct {
	Detach      bool
	Tty         bool
	ConsoleSize *[2]uint
	GetStreams  func(multiplexed bool) (stdin io.ReadCloser, stdout, stderr io.Writer, err error)
}

// CommitOptions are the query parameters and body of POST /commit.
type CommitOptions struct {
	Repo    string
	Tag     string
	Comment string
	Author  string
	Pause   bool
	Changes []string          // Dockerfile instructions, e.g. `CMD ["sh"]`
	Config  *container.Config // body; may be nil
}
