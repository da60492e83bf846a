package swarm

import (
	_ "github.com/moby/swarmkit/v2/agent/exec"
	_ "github.com/moby/swarmkit/v2/api"
	_ "github.com/moby/swarmkit/v2/node"
)
