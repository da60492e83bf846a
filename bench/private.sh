# Starts a PRIVATE dockerd and a private berth daemon side by side for the
# storage benchmarks (bench/volumes.sh, bench/df.sh), each in its own temp
# roots, both driven by the official docker CLI through b() and d(); imports
# the offline busybox into both. dockerd runs without iptables/ip-forward
# changes (nothing here publishes ports), so it leaves nothing on the host;
# everything is removed on exit. Also defines timed(). Sourced after
# bench/lib.sh, as root, from the repository root.
DBR=${DBR:-btdockv0} BBR=${BBR:-btbenchv0}
DOCKER_IPTABLES=false
. bench/engines.sh

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
