#!/usr/bin/env bash
# Side-by-side operations benchmarks of berth against Docker Engine (issue
# 17), both PRIVATE daemons in temp roots (bench/private.sh), both driven
# by the official docker CLI:
#   1. daemon restart under live-restore with N_RESTART running containers:
#      SIGTERM, start again, time until `ps` lists them all;
#   2. `stats --no-stream` for N_STATS running containers;
#   3. a container writing LOG_MB MiB of 100-byte lines to json-file: wall
#      time, MB/s, lines in the log file (none may be lost) and the CPU
#      time the engine spent per MB (daemon alone, and daemon + shims).
# Usage: ./bench/ops.sh   (root; `make build` first)
# Knobs: N_RESTART (200), N_STATS (50), LOG_MB (1024), N_RUN (5),
# PARTS ("restart stats logs": which of the three to run).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_RESTART=${N_RESTART:-200} N_STATS=${N_STATS:-50} LOG_MB=${LOG_MB:-1024} N_RUN=${N_RUN:-5}
PARTS=${PARTS:-restart stats logs}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
DBR=btdockops BBR=btbenchops DNET=10.94.0.1/24 BNET=10.95.0.1/24
. bench/private.sh
header "operations"

# live-restore on both, through each engine's SIGHUP reload.
echo '{"live-restore": true}' >"$T/daemon.json"
echo '{"live-restore": true}' >"$T/berth-daemon.json"
kill -HUP "$DPID" "$BPID"
for _ in $(seq 1 50); do
	[ "$(b info --format '{{.LiveRestoreEnabled}}')" = true ] && [ "$(d info --format '{{.LiveRestoreEnabled}}')" = true ] && break
	sleep 0.1
done
echo "live-restore: berth $(b info --format '{{.LiveRestoreEnabled}}'), docker $(d info --format '{{.LiveRestoreEnabled}}')"

start_dockerd() {
	dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/docker-run" \
		-H "unix://$DSOCK" --pidfile "$T/docker.pid" --bridge "$DBR" $(docker_net_flags) \
		--storage-driver overlay2 >>"$T/dockerd.log" 2>&1 &
	DPID=$!
}
start_berth() {
	"$BIN/berth" daemon --data-root "$T/data" --exec-root "$T/run" -H "unix://$BSOCK" \
		--pidfile "$T/berth.pid" --config-file "$T/berth-daemon.json" \
		--bridge "$BBR" --bip "$BNET" >>"$T/berth.log" 2>&1 &
	BPID=$!
}

# cpu_ticks PIDS...: utime+stime summed (clock ticks).
cpu_ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# --- 1. restart with N_RESTART containers under live-restore -------------
if part restart; then
echo
echo "## daemon restart under live-restore with $N_RESTART running containers"
for eng in b d; do
	seq 1 "$N_RESTART" | xargs -P 4 -I{} env DOCKER_HOST="$(sock_of $eng)" "$CLI" run -d --name lr{} busybox sleep 1d >/dev/null
	echo "  $eng: $($eng ps -q | wc -l) running"
done
for eng in b d; do
	: >"$T/r-$eng"
	for _ in 1 2 3; do
		if [ $eng = b ]; then
			kill -TERM "$BPID"; wait_gone "$BPID" 60
			s=$(now_ns); start_berth
		else
			kill -TERM "$DPID"; wait_gone "$DPID" 60
			s=$(now_ns); start_dockerd
		fi
		until [ "$($eng ps -q 2>/dev/null | wc -l)" -eq "$N_RESTART" ]; do sleep 0.01; done
		e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/r-$eng"
	done
done
CPID=$(pids_matching containerd "$T" | awk 'NR==1')
bm=$(median <"$T/r-b") dm=$(median <"$T/r-d")
printf '  berth:  median %7s ms (%s)\n  docker: median %7s ms (%s)\n' "$(ms "$bm")" "$(tr '\n' ' ' <"$T/r-b" | awk '{for(i=1;i<=NF;i++) printf "%.0f ", $i/1000}')" "$(ms "$dm")" "$(tr '\n' ' ' <"$T/r-d" | awk '{for(i=1;i<=NF;i++) printf "%.0f ", $i/1000}')"
printf '  ratio berth/docker: %s   (target <= 0.5)\n' "$(ratio "$bm" "$dm")"
fi

# --- 2. stats --no-stream for N_STATS containers -------------------------
if part stats; then
for eng in b d; do
	have=$($eng ps -q | wc -l)
	[ "$have" -ge "$N_STATS" ] || seq $((have + 1)) "$N_STATS" | xargs -P 4 -I{} env DOCKER_HOST="$(sock_of $eng)" "$CLI" run -d --name st{} busybox sleep 1d >/dev/null
done
for eng in b d; do
	ids=$($eng ps -q | tail -n +$((N_STATS + 1)))
	[ -z "$ids" ] || echo "$ids" | xargs -P 4 -n 20 env DOCKER_HOST="$(sock_of $eng)" "$CLI" rm -f >/dev/null
done
echo
echo "  running now: berth $(b ps -q | wc -l), docker $(d ps -q | wc -l)"
timed 0.5 "stats --no-stream for $N_STATS containers" stats --no-stream
fi
for eng in b d; do $eng ps -aq | xargs -r -P 4 -n 20 env DOCKER_HOST="$(sock_of $eng)" "$CLI" rm -f >/dev/null; done

# --- 3. log throughput ----------------------------------------------------
part logs || exit 0
lines=$((LOG_MB * 1024 * 1024 / 100))
echo
echo "## json-file log throughput: $LOG_MB MiB in 100-byte lines ($lines lines)"
for eng in b d; do
	if [ $eng = b ]; then
		procs() { echo "$BPID"; }
		shims() { pids_matching berth-shim "$T"; }
	else
		procs() { echo "$DPID"; }
		shims() { pids_matching containerd "$T"; pids_matching containerd-shim-runc-v2 "$T"; }
	fi
	c0=$(cpu_ticks $(procs)) s0=$(cpu_ticks $(shims))
	st=$(now_ns)
	# 99 characters and a newline per line.
	# Detached: the engine only logs (an attached run would also stream
	# the output to the CLI).
	$eng run -d --name logbench busybox sh -c "yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -n $lines" >/dev/null
	$eng wait logbench >/dev/null
	en=$(now_ns)
	# The shim/daemon may still be flushing when run returns: wait for the
	# file to stop growing.
	lp=$($eng inspect -f '{{.LogPath}}' logbench)
	prev=-1
	while :; do cur=$(stat -c %s "$lp"); [ "$cur" = "$prev" ] && break; prev=$cur; sleep 0.5; done
	c1=$(cpu_ticks $(procs)) s1=$(cpu_ticks $(shims))
	got=$(wc -l <"$lp")
	wall=$(((en - st) / 1000))
	hz=$(getconf CLK_TCK)
	dcpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')
	scpu=$(awk -v a="$s0" -v b="$s1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')
	mbs=$(awk -v mb="$LOG_MB" -v us="$wall" 'BEGIN{printf "%.1f", mb/(us/1e6)}')
	printf '  %s: %s ms, %s MiB/s, %s of %s lines in the file, daemon CPU %s s (%s ms/MiB), shims+containerd CPU %s s, total %s ms/MiB\n' \
		"$eng" "$(ms "$wall")" "$mbs" "$got" "$lines" "$dcpu" "$(awk -v c="$dcpu" -v mb="$LOG_MB" 'BEGIN{printf "%.2f", c*1000/mb}')" \
		"$scpu" "$(awk -v c="$dcpu" -v s="$scpu" -v mb="$LOG_MB" 'BEGIN{printf "%.2f", (c+s)*1000/mb}')"
	echo "$mbs $dcpu $scpu $got" >"$T/log-$eng"
	$eng rm -f logbench >/dev/null
done
read -r bmbs bd bs bgot <"$T/log-b"
read -r dmbs dd ds dgot <"$T/log-d"
printf '  throughput berth/docker: %s   (target >= 1)\n' "$(ratio "$bmbs" "$dmbs")"
printf '  CPU per MiB berth/docker (daemon + everything that logs): %s   (target <= 0.5)\n' \
	"$(awk -v a="$bd" -v b="$bs" -v c="$dd" -v d="$ds" 'BEGIN{ if (c+d==0) print "n/a"; else printf "%.3f", (a+b)/(c+d)}')"
[ "$bgot" = "$lines" ] && [ "$dgot" = "$lines" ] && echo "  no line lost on either engine" || echo "  LINES LOST: berth $bgot, docker $dgot of $lines"
