#!/bin/bash
# The builder's targets of issue 15, side by side in one run: berth's
# classic builder, Docker Engine's classic builder (DOCKER_BUILDKIT=0) and
# Docker's BuildKit (Debian's docker.io CLI with DOCKER_BUILDKIT=1), each
# against its private daemon (bench/engines.sh). Medians of $N runs.
#   1. rebuild with every step cached            target: berth <= 1/2 BuildKit
#   2. cold build, two independent 5-step stages  target: berth <= BuildKit
#   3. 200 MB context, .dockerignore drops 90 %   target: berth <= 1/2 Docker classic
# Run as root from the repository root after `make build`.
set -euo pipefail
. bench/lib.sh
DOCKER_IPTABLES=false
. bench/engines.sh
N=${N:-5}
BKCLI=${BKCLI:-/usr/bin/docker}
[ -x "$BKCLI" ] || { echo "$BKCLI (Debian docker.io CLI, for BuildKit) not found"; exit 1; }
bk() { DOCKER_HOST=unix://$DSOCK DOCKER_BUILDKIT=1 "$BKCLI" "$@"; }
bc() { DOCKER_BUILDKIT=0 b "$@"; }   # berth, official CLI, classic
dc() { DOCKER_BUILDKIT=0 d "$@"; }   # Docker classic
W=$T/work; mkdir -p "$W"

# time_ms CMD...: wall time of one run in ms (output discarded).
time_ms() { local s e; s=$(now_ns); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(now_ns); echo $(((e - s) / 1000000)); }
med() { local eng=$1; shift; for _ in $(seq 1 "$N"); do time_ms "$eng" "$@"; done | median; }

# --- 1: cached rebuild ----------------------------------------------------
C1=$W/cached; mkdir -p "$C1/src"
for i in $(seq 1 50); do head -c 20000 /dev/urandom >"$C1/src/f$i"; done
cat >"$C1/Dockerfile" <<'EOF'
FROM busybox
ENV APP=/app
WORKDIR /app
COPY src /app/src
RUN ls /app/src | wc -l > /count
RUN echo built > /built
EXPOSE 8080
CMD ["cat", "/built"]
EOF
for e in bc dc bk; do $e build -q -t bench-cached "$C1" >/dev/null; done
c_b=$(med bc build -t bench-cached "$C1")
c_d=$(med dc build -t bench-cached "$C1")
c_k=$(med bk build -t bench-cached "$C1")

# --- 2: cold build of two independent 5-step stages -----------------------
C2=$W/stages; mkdir -p "$C2"
{
	for s in a b; do
		echo "FROM busybox AS $s"
		for i in 1 2 3 4 5; do echo "RUN echo $s$i > /$s$i && sleep 0.2"; done
	done
	echo "FROM busybox"
	echo "COPY --from=a /a5 /a5"
	echo "COPY --from=b /b5 /b5"
} >"$C2/Dockerfile"
p_b=$(med bc build --no-cache -t bench-stages "$C2")
p_d=$(med dc build --no-cache -t bench-stages "$C2")
p_k=$(med bk build --no-cache -t bench-stages "$C2")

# --- 3: 200 MB context, 90 % ignored --------------------------------------
C3=$W/bigctx; mkdir -p "$C3/src" "$C3/data"
for i in $(seq 1 20); do head -c 1000000 /dev/urandom >"$C3/src/s$i"; done
for i in $(seq 1 180); do head -c 1000000 /dev/urandom >"$C3/data/d$i"; done
printf 'data\n**/*.tmp\n' >"$C3/.dockerignore"
printf 'FROM busybox\nCOPY . /app\n' >"$C3/Dockerfile"
x_b=$(med bc build --no-cache -t bench-bigctx "$C3")
x_d=$(med dc build --no-cache -t bench-bigctx "$C3")
x_k=$(med bk build --no-cache -t bench-bigctx "$C3")

echo
echo "| benchmark | berth | Docker classic | BuildKit | berth/ref | target | met? |"
echo "|---|---|---|---|---|---|---|"
row() { # name berth dock bk ref-value ref-name limit
	local r; r=$(ratio "$2" "$5")
	local met; met=$(awk -v r="$r" -v l="$7" 'BEGIN {print (r <= l) ? "yes" : "no"}')
	echo "| $1 | $2 ms | $3 ms | $4 ms | **$r** (vs $6) | <= $7 | $met |"
}
row "rebuild, every step cached (8 steps, 1 MB context)" "$c_b" "$c_d" "$c_k" "$c_k" BuildKit 0.5
row "cold build, two independent 5-step stages" "$p_b" "$p_d" "$p_k" "$p_k" BuildKit 1.0
row "200 MB context, .dockerignore drops 90 % (--no-cache)" "$x_b" "$x_d" "$x_k" "$x_d" "Docker classic" 0.5
