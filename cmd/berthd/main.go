// Command berthd is the daemon alone: `berth daemon` execs it when it sits
// next to the berth binary. The CLI, compose and the registry server are
// not linked in, so their package inits and code pages do not cost the
// long-running daemon memory (the full binary idles at ~33 MiB RSS, this
// one at ~19 MiB).
package main

import (
	"fmt"
	"os"

	"github.com/berth-project/berth/daemon"
)

func main() {
	args := os.Args[1:]
	// Accept `berthd daemon ...` as well as `berthd ...`.
	if len(args) > 0 && args[0] == "daemon" {
		args = args[1:]
	}
	c := daemon.NewCommand()
	c.SetArgs(args)
	if err := c.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
