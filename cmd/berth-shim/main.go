// Command berth-shim is the per-container shim (`berth-shim start ...`)
// and, re-executed by libcontainer, the container's init (`berth-shim
// init`). Every package init() of this binary runs on each container start,
// so it imports only the shim, libcontainer, runtime-spec and the stdlib.
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
	if len(os.Args) < 2 || os.Args[1] != "start" {
		fmt.Fprintln(os.Stderr, "usage: berth-shim start --id ID --bundle DIR --runtime-root DIR [options]")
		os.Exit(2)
	}
	os.Exit(shim.Main(os.Args[2:]))
}
