// Command berth is the daemon (`berth daemon`), the built-in registry
// (`berth registry`) and the docker-compatible CLI (any other verb; also
// when invoked as `docker`).
package main

import (
	"os"

	"github.com/berth-project/berth/cli"
	"github.com/berth-project/berth/daemon"
	regcmd "github.com/berth-project/berth/registry/command"
)

func main() {
	os.Exit(cli.Run(os.Args, daemon.NewCommand(), regcmd.New()))
}
