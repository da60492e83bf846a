// Command berth-shim runs containers for the berth daemon: `berth-shim
// group` is the per-exec-root monitor serving many containers (the
// default), `berth-shim start ...` the one-process-per-container shim, and,
// re-executed by libcontainer, the container's init (`berth-shim init`).
// Every package init() of this binary runs on each container start, so it
// imports only the shim, libcontainer, runtime-spec and the stdlib.
package main

import (
	"fmt"
	"os"

	"github.com/berth-project/berth/shim"
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// Runs after nsenter's nsexec() constructor; never returns.
		libcontainer.Init()
	}
}

func main() {
	if len(os.Args) >= 2 {
		switch os.Args[1] {
		case "start":
			os.Exit(shim.Main(os.Args[2:]))
		case "group":
			os.Exit(shim.MainGroup(os.Args[2:]))
		}
	}
	fmt.Fprintln(os.Stderr, "usage: berth-shim start --id ID --bundle DIR --runtime-root DIR [options]\n       berth-shim group --dir DIR")
	os.Exit(2)
}
