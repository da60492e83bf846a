#!/usr/bin/env bash
# Side-by-side swarm-mode benchmarks of berth against Docker Engine (issue
# 19), both PRIVATE daemons in temp roots (bench/private.sh) made
# single-node swarms on 127.0.0.1 ports, both driven by the official
# docker CLI:
#   1. memory of the idle single-node swarm: berthd + berth-swarmd vs
#      dockerd + containerd (RSS and PSS);
#   2. `service create --replicas N_TASKS` until `service ls` shows N/N;
#   3. `service update --env-add` of those N tasks with parallelism 5
#      until the update completed and N tasks of the new spec run.
# Usage: ./bench/swarm.sh   (root; `make build` first)
# Knobs: N_TASKS (20), N_RUN (3).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_TASKS=${N_TASKS:-20} N_RUN=${N_RUN:-3}
DBR=btdocksw BBR=btbenchsw DNET=10.92.0.1/24 BNET=10.93.0.1/24
PRE_CLEANUP='b swarm leave --force >/dev/null 2>&1; d swarm leave --force >/dev/null 2>&1; sleep 1; d network rm docker_gwbridge >/dev/null 2>&1; ip link del docker_gwbridge 2>/dev/null'
ip link show docker_gwbridge >/dev/null 2>&1 && { echo "docker_gwbridge exists (another Docker?): refusing to run"; exit 1; }
. bench/private.sh
header "swarm mode (single node)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for eng in b d; do
	p=$(port)
	$eng swarm init --advertise-addr "127.0.0.1:$p" --listen-addr "127.0.0.1:$p" >/dev/null
done
sleep 5
echo
echo "## idle single-node swarm: daemon memory (no services)"
bpids="$BPID $(pids_matching berth-swarmd "$T")"
dpids="$DPID $(pids_matching containerd "$T")"
read -r brss bpss bn <<<"$(mem_of $bpids)"
read -r drss dpss dn <<<"$(mem_of $dpids)"
printf '  berthd + berth-swarmd:  RSS %7d KiB  PSS %7d KiB (%d procs)\n' "$brss" "$bpss" "$bn"
printf '  dockerd + containerd:   RSS %7d KiB  PSS %7d KiB (%d procs)\n' "$drss" "$dpss" "$dn"
printf '  ratio berth/docker:     RSS %s  PSS %s   (target <= 0.5)\n' "$(ratio "$brss" "$drss")" "$(ratio "$bpss" "$dpss")"

# A task command that ends at once on SIGTERM, so stop grace periods do
# not dominate the update timings on either engine.
TASK=(sh -c 'trap "exit 0" TERM; sleep 1d & wait')

running() { $1 service ls --filter name=bsvc --format '{{.Replicas}}' 2>/dev/null; }
wait_replicas() {
	local eng=$1 want=$2
	until [ "$(running "$eng")" = "$want/$want" ]; do sleep 0.05; done
}
wait_updated() {
	local eng=$1 st
	while :; do
		st=$($eng service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' bsvc 2>/dev/null)
		[ "$st" = completed ] && [ "$(running "$eng")" = "$N_TASKS/$N_TASKS" ] && return
		sleep 0.05
	done
}
wait_no_tasks() {
	until [ -z "$($1 ps -aq --filter label=com.docker.swarm.service.name=bsvc)" ]; do sleep 0.1; done
}

: >"$T/c-b"; : >"$T/c-d"; : >"$T/u-b"; : >"$T/u-d"
for i in $(seq 1 "$N_RUN"); do
	for eng in b d; do
		s=$(now_ns)
		$eng service create -d --name bsvc --replicas "$N_TASKS" --update-parallelism 5 busybox "${TASK[@]}" >/dev/null 2>&1
		wait_replicas $eng "$N_TASKS"
		e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/c-$eng"
		s=$(now_ns)
		$eng service update -d --env-add "RUN=$i" bsvc >/dev/null 2>&1
		wait_updated $eng
		e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/u-$eng"
		$eng service rm bsvc >/dev/null
		wait_no_tasks $eng
	done
done
for what in c u; do
	bm=$(median <"$T/$what-b") dm=$(median <"$T/$what-d")
	echo
	if [ $what = c ]; then echo "## service create --replicas $N_TASKS until $N_TASKS/$N_TASKS ($N_RUN runs each, interleaved)"
	else echo "## service update --env-add of $N_TASKS tasks, parallelism 5, until completed ($N_RUN runs each)"; fi
	printf '  berth:  median %7s ms\n  docker: median %7s ms\n' "$(ms "$bm")" "$(ms "$dm")"
	printf '  ratio berth/docker: %s   (target <= 0.5)\n' "$(ratio "$bm" "$dm")"
done
