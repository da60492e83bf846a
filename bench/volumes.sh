#!/usr/bin/env bash
# Side-by-side volume benchmarks of berth against Docker Engine, both driven
# by the official docker CLI, each engine a PRIVATE daemon in its own temp
# roots (bench/private.sh):
#   1. run --rm -v vol:/data busybox true
#   2. the same with 5 named volumes
#   3. system df with N_DF volumes holding a small file each (informational)
# bench/df.sh measures system df with images and containers as well.
# Usage: ./bench/volumes.sh   (root; `make build` first)
# Knobs: N_RUN (samples per case, 20), N_DF (volumes for system df, 500).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_RUN=${N_RUN:-20} N_DF=${N_DF:-500}
. bench/private.sh
header volumes

timed 0.333 "run --rm -v vol:/data busybox true" run --rm -v vol:/data busybox true
timed 0.333 "run --rm with 5 named volumes" run --rm -v v1:/d1 -v v2:/d2 -v v3:/d3 -v v4:/d4 -v v5:/d5 busybox true
timed 0.333 "run --rm -v /data (anonymous, removed by --rm)" run --rm -v /data busybox true

# system df over N_DF volumes with a 4 KiB file each (written directly into
# each engine's volume directory, as a container would have).
for eng in b d; do
	for i in $(seq 1 "$N_DF"); do echo "dfv$i"; done | xargs -P 4 -n 50 env DOCKER_HOST="$(sock_of $eng)" sh -c 'for v; do '"$CLI"' volume create "$v" >/dev/null; done' sh
done
for i in $(seq 1 "$N_DF"); do
	head -c 4096 /dev/zero >"$T/data/volumes/dfv$i/_data/f"
	head -c 4096 /dev/zero >"$T/docker/volumes/dfv$i/_data/f"
done
# Informational: with volumes alone Docker's df is cheap too, and both
# sides pay the CLI's fixed cost (start-up, decoding the reply); the
# issue's target (500 images, containers and volumes) is bench/df.sh.
N_RUN=5 timed "informational; the target is bench/df.sh" "system df with $N_DF volumes only (4 KiB each)" system df
