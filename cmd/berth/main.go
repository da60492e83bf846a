// Command berth is the daemon (`berth daemon`), the built-in registry
// (`berth registry`) and the docker-compatible CLI (any other verb; also
// when invoked as `docker`).
package main

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/berth-project/berth/cli"
	"github.com/berth-project/berth/daemon"
	regcmd "github.com/berth-project/berth/registry/command"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "daemon" && os.Getenv("BERTH_NO_BERTHD") == "" {
		execBerthd()
	}
	os.Exit(cli.Run(os.Args, daemon.NewCommand(), regcmd.New()))
}

// execBerthd replaces this process by the daemon-only binary next to us
// (same pid, so supervisors and pid files are unaffected); without one the
// daemon runs in this binary.
func execBerthd() {
	self, err := os.Executable()
	if err != nil {
		return
	}
	p := filepath.Join(filepath.Dir(self), "berthd")
	if _, err := os.Stat(p); err != nil {
		return
	}
	_ = syscall.Exec(p, append([]string{p}, os.Args[2:]...), os.Environ())
}
