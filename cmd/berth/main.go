// Command berth is the daemon (`berth daemon`) and the docker-compatible
// CLI (any other verb; also when invoked as `docker`).
package main

import (
	"os"

	"github.com/berth-project/berth/cli"
	"github.com/berth-project/berth/daemon"
)

func main() {
	os.Exit(cli.Run(os.Args, daemon.NewCommand()))
}
