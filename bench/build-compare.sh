#!/bin/bash
# Builds every case of integration/build/testdata/golden with Docker
# Engine's classic builder (Debian's docker.io, a private dockerd) and
# berth side by side, and writes what Docker produced to
# <case>/docker.golden (config, history, the case's check output), the
# oracle integration/build TestGolden compares berth against. The berth
# result is written to <case>/berth.out so the two can be diffed here.
# Run as root from the repository root after `make build`.
set -euo pipefail
. bench/lib.sh
DOCKER_IPTABLES=false
. bench/engines.sh
G=integration/build/testdata/golden
normalize() { # engine image
	$1 image inspect --format '{{json .Config}}' "$2" | python3 -c '
import json,sys
c=json.load(sys.stdin)
for k in ("Hostname","Domainname","Image","AttachStdin","AttachStdout","AttachStderr","Tty","OpenStdin","StdinOnce"):
    c.pop(k,None)
print(json.dumps({k:v for k,v in sorted(c.items()) if v not in (None,"",[],{},False)},sort_keys=True,indent=1))'
	$1 history --no-trunc --format "{{.CreatedBy}}" "$2" | sed "\$d" | sed -E "s/(file|dir|multi):[0-9a-f]{64}/\1:<hash>/"
}
for dir in "$G"/*/; do
	name=$(basename "$dir")
	args=()
	[ -f "$dir/buildargs" ] && for a in $(cat "$dir/buildargs"); do args+=(--build-arg "$a"); done
	for eng in d b; do
		if [ -f "$dir/Dockerfile.base" ]; then
			DOCKER_BUILDKIT=0 $eng build -q -t "golden-$name-base" -f "$dir/Dockerfile.base" "$dir" >/dev/null
		fi
		out=$dir/berth.out; [ $eng = d ] && out=$dir/docker.golden
		if ! DOCKER_BUILDKIT=0 $eng build -q "${args[@]}" -t "golden-$name" "$dir" >/dev/null 2>"$T/err"; then
			echo "BUILD FAILED: $(cat "$T/err")" >"$out"; continue
		fi
		{ normalize $eng "golden-$name"; echo "--- check"; $eng run --rm "golden-$name" sh -c "$(cat "$dir/check")" 2>&1; } >"$out"
	done
	if diff -u "$dir/docker.golden" "$dir/berth.out" >"$T/diff"; then echo "$name: same"; else echo "$name: DIFFERS"; cat "$T/diff"; fi
done
