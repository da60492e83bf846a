#!/usr/bin/env bash
# The whole test suite: installs missing packages, builds, vets, runs unit
# tests, then the root integration tests against private daemons.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH=$PATH:/usr/local/go/bin CGO_ENABLED=1
make build
make lint
# Unit and integration tests; integration packages start private daemons
# in temp dirs (own data root, exec root, socket, bridge and nft table).
set +e
go test -tags seccomp -count=1 -timeout 25m ./... 2>&1 | tee bin/test.log
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	echo "TESTS FAILED:"; grep -E '^(FAIL|--- FAIL|panic:)' bin/test.log || true
	exit "$rc"
fi
echo "all tests passed"
