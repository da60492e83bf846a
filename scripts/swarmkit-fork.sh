#!/bin/bash
# Prepare the patched SwarmKit that bin/berth-swarmd is built with.
#
# SwarmKit's agent waits a fixed second before re-running a task whose Wait
# was interrupted by a task update (agent/task.go: ErrTaskRetry), and a
# rolling update interrupts every replica's Wait that way; the patches in
# third_party/swarmkit/ run the updated task at once instead (docs/SWARM.md
# says why and what they change). We keep only the patches in git: this
# script copies the module go.mod pins out of the module cache into bin/,
# applies them and writes bin/swarmd.work, a workspace that replaces the
# module with the copy. `make build` runs it; everything else (unit tests,
# `go build ./...`) uses SwarmKit as published.
#
# Prints the path of the workspace file.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
mod=github.com/moby/swarmkit/v2
go=${GO:-go}
command -v patch >/dev/null || { echo "swarmkit-fork: needs patch (scripts/deps.sh installs it)" >&2; exit 1; }

version=$("$go" list -m -f '{{.Version}}' "$mod")
dir=$("$go" list -m -f '{{.Dir}}' "$mod")
if [ -z "$dir" ]; then
	"$go" mod download "$mod"
	dir=$("$go" list -m -f '{{.Dir}}' "$mod")
fi
[ -d "$dir" ] || { echo "swarmkit-fork: $mod $version not in the module cache" >&2; exit 1; }

patches=(third_party/swarmkit/*.patch)
stamp="$version $(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)"
mkdir -p "$repo/bin"
fork=$repo/bin/swarmkit
work=$repo/bin/swarmd.work

if [ ! -f "$fork/.berth-stamp" ] || [ "$(cat "$fork/.berth-stamp")" != "$stamp" ]; then
	tmp=$(mktemp -d "$repo/bin/.swarmkit.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp -r "$dir/." "$tmp/"
	chmod -R u+w "$tmp"
	for p in "${patches[@]}"; do
		patch -s -p1 -d "$tmp" --no-backup-if-mismatch < "$p" ||
			{ echo "swarmkit-fork: $p does not apply to $mod $version" >&2; exit 1; }
	done
	echo "$stamp" > "$tmp/.berth-stamp"
	rm -rf "$fork"
	mv "$tmp" "$fork"
	trap - EXIT
fi

goversion=$(sed -n 's/^go //p' go.mod)
cat > "$work.tmp" <<EOF
go $goversion

use $repo

replace $mod $version => $fork
EOF
mv "$work.tmp" "$work"
echo "$work"
