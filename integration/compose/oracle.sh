#!/usr/bin/env bash
# Runs this package's tests with `berth compose` against a PRIVATE Docker
# Engine (Debian's docker.io, started by bench/private.sh in temp roots and
# removed afterwards): Docker as the oracle for what our compose does.
# Usage (root, from anywhere; `make build` first):
#   integration/compose/oracle.sh [go test args, e.g. -run TestSeed]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
DBR=${DBR:-btdockco} BBR=${BBR:-btbenchco} DNET=${DNET:-10.98.9.1/24} BNET=${BNET:-10.98.10.1/24}
. bench/private.sh
export PATH=$PATH:/usr/local/go/bin CGO_ENABLED=1
go test -tags seccomp -count=1 "$@" ./integration/compose -args -docker-host="unix://$DSOCK"
