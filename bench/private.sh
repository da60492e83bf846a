# Starts a PRIVATE dockerd and a private berth daemon side by side for the
# storage benchmarks (bench/volumes.sh, bench/df.sh), each in its own temp
# roots, both driven by the official docker CLI through b() and d(); imports
# the offline busybox into both. dockerd runs without iptables/ip-forward
# changes (nothing here publishes ports), so it leaves nothing on the host;
# everything is removed on exit. Also defines timed(). Sourced after
# bench/lib.sh, as root, from the repository root.
BIN=${BIN:-$PWD/bin}
CLI=${CLI:-/usr/local/bin/docker}
DBR=${DBR:-btdockv0} DNET=${DNET:-10.96.0.1/24}
BBR=${BBR:-btbenchv0} BNET=${BNET:-10.97.0.1/24}
[ "$(id -u)" = 0 ] || { echo "$0 needs root"; exit 1; }
[ -x "$BIN/berth" ] && [ -x "$BIN/berth-shim" ] || { echo "run 'make build' first"; exit 1; }
[ -x "$CLI" ] || { echo "$CLI (official docker CLI) not found"; exit 1; }
command -v dockerd >/dev/null && command -v containerd >/dev/null || { echo "dockerd/containerd not installed (apt-get install docker.io)"; exit 1; }
[ -S /run/containerd/containerd.sock ] && { echo "a system containerd is running; refusing to share it"; exit 1; }
for br in $DBR $BBR; do
	ip link show "$br" >/dev/null 2>&1 && { echo "bridge $br already exists (leftover run?); remove it first"; exit 1; }
done

T=$(mktemp -d /tmp/btbenchv.XXXXXX)
chmod 755 "$T"
DSOCK=$T/docker.sock BSOCK=$T/berth.sock
DPID= BPID=

cleanup() {
	set +e
	echo "--- cleanup"
	for s in "$BSOCK" "$DSOCK"; do
		[ -S "$s" ] || continue
		ids=$(DOCKER_HOST=unix://$s "$CLI" ps -aq 2>/dev/null)
		[ -z "$ids" ] || DOCKER_HOST=unix://$s "$CLI" rm -f $ids >/dev/null 2>&1
	done
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait_gone "$DPID" 30 || { echo "dockerd did not stop; SIGKILL"; kill -KILL "$DPID"; }
	fi
	for p in $(pids_matching containerd "$T") $(pids_matching containerd-shim-runc-v2 "$T"); do
		kill -TERM "$p" 2>/dev/null; wait_gone "$p" 10 || kill -KILL "$p"
	done
	if [ -n "$BPID" ]; then
		kill -TERM "$BPID" 2>/dev/null
		wait_gone "$BPID" 30 || { echo "berth daemon did not stop; SIGKILL"; kill -KILL "$BPID"; }
	fi
	for p in $(pids_matching berth-shim "$T"); do
		kill -TERM "$p" 2>/dev/null; wait_gone "$p" 10 || kill -KILL "$p"
	done
	if [ -n "${FAILED:-}" ]; then
		echo "--- dockerd log (tail)"; tail -20 "$T/dockerd.log" 2>/dev/null
		echo "--- berth log (tail)"; tail -20 "$T/berth.log" 2>/dev/null
	fi
	for br in $DBR $BBR; do ip link del "$br" 2>/dev/null && echo "cleanup: removed bridge $br"; done
	for fam in ip inet bridge; do nft delete table $fam "berth_$BBR" 2>/dev/null && echo "cleanup: removed nft table $fam berth_$BBR"; done
	umount_under "$T"
	rm -rf "$T"
	left=$(pgrep -f -- "$T" || true)
	[ -z "$left" ] && echo "cleanup: done, no processes left" || echo "cleanup: WARNING processes still running: $left"
}
trap 'FAILED=1' ERR
trap cleanup EXIT

scripts/mkbusybox.sh "$T/busybox.tar"
ip link add "$DBR" type bridge
ip addr add "$DNET" dev "$DBR"
ip link set "$DBR" up
echo "{}" >"$T/daemon.json"
echo "{}" >"$T/berth-daemon.json"
dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/docker-run" \
	-H "unix://$DSOCK" --pidfile "$T/docker.pid" --bridge "$DBR" \
	--iptables=false --ip6tables=false --ip-forward=false \
	--storage-driver overlay2 >"$T/dockerd.log" 2>&1 &
DPID=$!
"$BIN/berth" daemon --data-root "$T/data" --exec-root "$T/run" -H "unix://$BSOCK" \
	--pidfile "$T/berth.pid" --config-file "$T/berth-daemon.json" \
	--bridge "$BBR" --bip "$BNET" >"$T/berth.log" 2>&1 &
BPID=$!

b() { DOCKER_HOST=unix://$BSOCK "$CLI" "$@"; }
d() { DOCKER_HOST=unix://$DSOCK "$CLI" "$@"; }
for eng in b d; do
	for _ in $(seq 1 300); do $eng version >/dev/null 2>&1 && break; sleep 0.1; done
	$eng version >/dev/null || { echo "daemon $eng did not come up"; FAILED=1; exit 1; }
done
b import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null
d import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null

# each ENG CMD...: runs CMD with DOCKER_HOST of engine ENG (b or d)
# exported, for xargs/sh -c pipelines that cannot call the functions.
sock_of() { [ "$1" = b ] && echo "unix://$BSOCK" || echo "unix://$DSOCK"; }

header() {
	echo "=== berth vs Docker Engine, $1 — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "Docker Engine: $(d version --format '{{.Server.Version}}'), berth: $(b version --format '{{.Server.Version}}')"
	echo "host: $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

ms() { awk -v x="$1" 'BEGIN{printf "%.1f", x/1000}'; }
# timed TARGET CASE ARGS...: N_RUN interleaved samples per engine after 2
# warm-ups; prints the medians and the ratio against the issue's target.
timed() {
	local target=$1 what=$2; shift 2
	for _ in 1 2; do b "$@" >/dev/null; d "$@" >/dev/null; done
	: >"$T/t-b"; : >"$T/t-d"
	for _ in $(seq 1 "$N_RUN"); do
		s=$(now_ns); b "$@" >/dev/null; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t-b"
		s=$(now_ns); d "$@" >/dev/null; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t-d"
	done
	local bm dm
	bm=$(median <"$T/t-b") dm=$(median <"$T/t-d")
	echo
	echo "## $what ($N_RUN runs each, engines interleaved)"
	printf '  berth:  median %7s ms\n  docker: median %7s ms\n' "$(ms "$bm")" "$(ms "$dm")"
	case $target in
	[0-9]*) printf '  ratio berth/docker: %s   (target <= %s)\n' "$(ratio "$bm" "$dm")" "$target" ;;
	*) printf '  ratio berth/docker: %s   (%s)\n' "$(ratio "$bm" "$dm")" "$target" ;;
	esac
}
