#!/usr/bin/env bash
# Side-by-side compose benchmark: a 10-service project (busybox, one
# network, one named volume) brought up and torn down
#   - on berth by `berth compose`,
#   - on Docker Engine by Debian's docker-compose 1.29 (the issue's oracle),
#   - and, informational, on berth by docker-compose 1.29,
# each engine a PRIVATE daemon in its own temp roots (bench/private.sh).
# `up` is timed from the command until every container is running (and,
# in the health case, healthy), polled the same way on both sides through
# the official docker CLI; `down -t 0` until the command returns.
# Usage: ./bench/compose.sh   (root; `make build` first)
# Knobs: N_RUN (samples per case, 5).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_RUN=${N_RUN:-5}
V1=${V1:-/usr/bin/docker-compose}
[ -x "$V1" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose >/dev/null
. bench/private.sh
header "compose (10 services)"

# project DIR HEALTH: writes the 10-service file.
project() {
	mkdir -p "$1"
	{
		echo 'version: "3.7"'
		echo "services:"
		for i in $(seq 1 10); do
			echo "  s$i:"
			echo "    image: busybox"
			echo "    command: [\"sleep\", \"100000\"]"
			echo "    volumes: [\"data:/data\"]"
			if [ "$2" = 1 ]; then
				echo "    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s, timeout: 5s, retries: 3}"
			fi
		done
		echo "volumes:"
		echo "  data:"
	} >"$1/docker-compose.yml"
}

# ready ENG PROJECT HEALTH: 0 once the project's 10 containers are up
# (healthy when HEALTH=1); 2 when the engine reports no health at all.
ready() {
	local st
	st=$(DOCKER_HOST=$(sock_of "$1") "$CLI" ps --filter "label=com.docker.compose.project=$2" --format '{{.Status}}')
	[ "$(grep -c '^Up' <<<"$st")" = 10 ] || return 1
	[ "$3" = 1 ] || return 0
	[ "$(grep -c '(healthy)' <<<"$st")" = 10 ] && return 0
	grep -q '(health' <<<"$st" || return 2
	return 1
}

# sample TOOL ENG HEALTH: one up (until ready) and one down; appends
# microseconds to $T/up-TOOL-ENG and $T/down-TOOL-ENG.
sample() {
	local tool=$1 eng=$2 health=$3 dir=$T/p-$1-$2-$3 name s e rc
	name=$(basename "$dir" | tr -d '_' | tr 'A-Z' 'a-z')
	project "$dir" "$health"
	local cmd=("$V1")
	[ "$tool" = v2 ] && cmd=("$BIN/berth" compose)
	cd "$dir"
	s=$(now_ns)
	DOCKER_HOST=$(sock_of "$eng") "${cmd[@]}" -p "$name" up -d >/dev/null 2>&1
	for _ in $(seq 1 3000); do
		rc=0; ready "$eng" "$name" "$health" || rc=$?
		[ $rc = 0 ] && break
		[ $rc = 2 ] && { e=; break; }
		sleep 0.02
	done
	e=${e-$(now_ns)}
	[ -n "$e" ] && echo $(((e - s) / 1000)) >>"$T/up-$tool-$eng" || echo "nohealth" >>"$T/up-$tool-$eng"
	s=$(now_ns)
	DOCKER_HOST=$(sock_of "$eng") "${cmd[@]}" -p "$name" down -v -t 0 >/dev/null 2>&1
	e=$(now_ns)
	echo $(((e - s) / 1000)) >>"$T/down-$tool-$eng"
	cd - >/dev/null
	unset e
}

report() {
	local health=$1 what
	[ "$health" = 1 ] && what="until healthy" || what="until running"
	local ub ud dbm ddm uv1
	if grep -q nohealth "$T/up-v2-b"; then
		ub=
	else
		ub=$(median <"$T/up-v2-b")
	fi
	ud=$(median <"$T/up-v1-d")
	dbm=$(median <"$T/down-v2-b") ddm=$(median <"$T/down-v1-d")
	echo
	echo "## up -d, 10 services, $what ($N_RUN runs each, interleaved)"
	if [ -n "$ub" ]; then
		printf '  berth + berth compose:    median %8s ms\n' "$(ms "$ub")"
	else
		echo "  berth + berth compose:    n/a (the engine reports no health status: health checks not in this build)"
	fi
	printf '  docker + docker-compose:  median %8s ms\n' "$(ms "$ud")"
	[ -n "$ub" ] && printf '  ratio: %s   (target <= 0.5)\n' "$(ratio "$ub" "$ud")"
	if [ -s "$T/up-v1-b" ] && ! grep -q nohealth "$T/up-v1-b"; then
		uv1=$(median <"$T/up-v1-b")
		printf '  (informational) berth + docker-compose 1.29: median %8s ms\n' "$(ms "$uv1")"
	fi
	echo "## down -v -t 0, same project"
	printf '  berth + berth compose:    median %8s ms\n' "$(ms "$dbm")"
	printf '  docker + docker-compose:  median %8s ms\n' "$(ms "$ddm")"
	printf '  ratio: %s   (target <= 0.5)\n' "$(ratio "$dbm" "$ddm")"
	[ -s "$T/down-v1-b" ] && printf '  (informational) berth + docker-compose 1.29: median %8s ms\n' "$(ms "$(median <"$T/down-v1-b")")"
}

for health in 0 1; do
	rm -f "$T"/up-* "$T"/down-*
	sample v2 b "$health"; sample v1 d "$health" # warm-up
	rm -f "$T"/up-* "$T"/down-*
	for _ in $(seq 1 "$N_RUN"); do
		sample v2 b "$health"
		sample v1 d "$health"
		sample v1 b "$health" || true
	done
	report "$health"
done
