#!/usr/bin/env bash
# Side-by-side benchmarks of berth against Docker Engine (Debian's docker.io),
# both driven by the same official docker CLI. Each engine runs as a PRIVATE
# daemon in its own temp roots, socket and bridge; everything is removed at
# the end (containers, daemons, dirs, bridges, iptables chains dockerd added).
# Usage: ./bench/run.sh   (root; `make bench` builds first)
# Knobs: N_RUN (run --rm samples, 20), N_MEM (idle containers, 50),
#        N_CHURN (run -d + rm -f containers, 100).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root"; exit 1; }

N_RUN=${N_RUN:-20} N_MEM=${N_MEM:-50} N_CHURN=${N_CHURN:-100}
DBR=btdock0 DNET=10.98.0.1/24 BBR=btbench0 BNET=10.99.0.1/24
. bench/engines.sh

echo "=== berth vs Docker Engine — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "docker CLI: $("$CLI" version --format '{{.Client.Version}}' 2>/dev/null)"
echo "Docker Engine: $(d version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"
echo "berth: $(b version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
echo "host: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"


# --- 1. idle daemon memory --------------------------------------------------
sleep 3
read -r b_rss b_pss _ <<<"$(mem_of $BPID)"
read -r d_rss d_pss _ <<<"$(mem_of $DPID $CPID)"
dd_rss=$(mem_of $DPID | cut -d' ' -f1) dc_rss=$(mem_of $CPID | cut -d' ' -f1)
echo
echo "## idle daemon memory (image imported, no containers)"
printf '  berth daemon:            RSS %6d KiB  PSS %6d KiB\n' "$b_rss" "$b_pss"
printf '  dockerd + containerd:    RSS %6d KiB  PSS %6d KiB  (dockerd %d + containerd %d RSS)\n' "$d_rss" "$d_pss" "$dd_rss" "$dc_rss"
printf '  ratio berth/docker:      RSS %s  PSS %s   (target <= 0.333)\n' "$(ratio $b_rss $d_rss)" "$(ratio $b_pss $d_pss)"

# --- 2. docker run --rm busybox true -----------------------------------------
echo
echo "## docker run --rm busybox true (2 warm-ups, then $N_RUN runs each, engines interleaved)"
for _ in 1 2; do b run --rm busybox true; d run --rm busybox true; done
: >"$T/t-b"; : >"$T/t-d"
for _ in $(seq 1 "$N_RUN"); do
	s=$(now_ns); b run --rm busybox true; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t-b"
	s=$(now_ns); d run --rm busybox true; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t-d"
done
bm=$(median <"$T/t-b") dm=$(median <"$T/t-d")
mm() { sort -n "$1" | awk 'NR==1{mn=$1} {mx=$1} END{printf "min %.1f max %.1f", mn/1000, mx/1000}'; }
printf '  berth:  median %7.1f ms  (%s)\n' "$(awk -v x="$bm" 'BEGIN{print x/1000}')" "$(mm "$T/t-b")"
printf '  docker: median %7.1f ms  (%s)\n' "$(awk -v x="$dm" 'BEGIN{print x/1000}')" "$(mm "$T/t-d")"
printf '  ratio berth/docker: %s   (target <= 0.250); ratio of minima %s\n' "$(ratio "$bm" "$dm")" \
	"$(ratio "$(sort -n "$T/t-b" | head -1)" "$(sort -n "$T/t-d" | head -1)")"

# Where the time goes: the CLI's own floor and the run phases separately.
echo "  breakdown (median of 10): version = CLI floor; create; start -a; rm"
for eng in b d; do
	: >"$T/p-v"; : >"$T/p-c"; : >"$T/p-s"; : >"$T/p-r"
	for _ in $(seq 1 10); do
		s=$(now_ns); $eng version >/dev/null; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/p-v"
		s=$(now_ns); id=$($eng create busybox true); e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/p-c"
		s=$(now_ns); $eng start -a "$id"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/p-s"
		s=$(now_ns); $eng rm "$id" >/dev/null; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/p-r"
	done
	printf '  %-6s version %6.1f ms  create %6.1f ms  start -a %6.1f ms  rm %6.1f ms\n' \
		"$([ $eng = b ] && echo berth || echo docker)" \
		"$(median <"$T/p-v" | awk '{print $1/1000}')" "$(median <"$T/p-c" | awk '{print $1/1000}')" \
		"$(median <"$T/p-s" | awk '{print $1/1000}')" "$(median <"$T/p-r" | awk '{print $1/1000}')"
done

# --- 3. memory per idle container ---------------------------------------------
# start_n ENGINE N: N detached sleepers; prints elapsed ms.
start_n() {
	local eng=$1 n=$2 s e s1 e1
	: >"$T/each-$eng"
	s=$(now_ns)
	for _ in $(seq 1 "$n"); do
		s1=$(now_ns); $eng run -d busybox sleep 1d >/dev/null; e1=$(now_ns)
		echo $(((e1 - s1) / 1000000)) >>"$T/each-$eng"
	done
	e=$(now_ns); echo $(((e - s) / 1000000))
}
rm_all() {
	local eng=$1 s e ids
	s=$(now_ns)
	ids=$($eng ps -aq)
	[ -z "$ids" ] || $eng rm -f $ids >/dev/null
	e=$(now_ns); echo $(((e - s) / 1000000))
}
echo
echo "## memory per idle container ($N_MEM x run -d busybox sleep 1d; daemon(s) + all shims)"
for eng in b d; do
	procs=${eng}procs
	read -r rss0 pss0 n0 <<<"$(mem_of $($procs))"
	ms=$(start_n $eng "$N_MEM")
	sleep 3
	running=$($eng ps -q | wc -l)
	read -r rss1 pss1 n1 <<<"$(mem_of $($procs))"
	eval "${eng}_grow_rss=\$(( (rss1 - rss0) / N_MEM )) ${eng}_grow_pss=\$(( (pss1 - pss0) / N_MEM ))"
	name=$([ $eng = b ] && echo berth || echo docker)
	printf '  %-6s before: RSS %7d KiB PSS %7d KiB (%d procs); after: RSS %7d KiB PSS %7d KiB (%d procs, %d running); start took %d ms\n' \
		"$name" "$rss0" "$pss0" "$n0" "$rss1" "$pss1" "$n1" "$running" "$ms"
	eval "printf '  %-6s per container: RSS %5d KiB  PSS %5d KiB\n' $name \$${eng}_grow_rss \$${eng}_grow_pss"
	shim1=$(pids_matching "$([ $eng = b ] && echo berth-shim || echo containerd-shim-runc-v2)" "$T" | awk "NR==1")
	[ -z "$shim1" ] || echo "  $name one shim: $(proc_detail "$shim1")"
	[ "$eng" = b ] && b_shim=$(mem_of $(pids_matching berth-shim "$T")) || d_shim=$(mem_of $(pids_matching containerd-shim-runc-v2 "$T"))
	rm_all $eng >/dev/null
done
printf '  shims alone: berth-shim %s ; containerd-shim-runc-v2 %s   (RSS PSS count)\n' "$b_shim" "$d_shim"
printf '  ratio berth/docker: RSS %s  PSS %s   (target <= 0.333)\n' "$(ratio $b_grow_rss $d_grow_rss)" "$(ratio $b_grow_pss $d_grow_pss)"

# --- 4. churn: N_CHURN x run -d, then rm -f all -------------------------------
echo
echo "## $N_CHURN x run -d busybox sleep 1d, then rm -f of all (one CLI call)"
for eng in b d; do
	st=$(start_n $eng "$N_CHURN")
	rt=$(rm_all $eng)
	# Does a run get slower as containers pile up? (first vs last 10)
	first=$(head -10 "$T/each-$eng" | median) last=$(tail -10 "$T/each-$eng" | median)
	eval "${eng}_churn=$((st + rt))"
	printf '  %-6s run -d x%d: %6d ms   rm -f: %6d ms   total: %6d ms\n' \
		"$([ $eng = b ] && echo berth || echo docker)" "$N_CHURN" "$st" "$rt" "$((st + rt))"
	printf '         one run -d: median of first 10 %s ms, of last 10 %s ms\n' "$first" "$last"
done
printf '  speed-up docker/berth: %sx   (target >= 3x)\n' "$(ratio $d_churn $b_churn)"

# --- idle memory again, after all the work --------------------------------------
read -r b_rss2 _ _ <<<"$(mem_of $BPID)"
read -r d_rss2 _ _ <<<"$(mem_of $DPID $CPID)"
echo
printf '## daemon RSS after the run: berth %d KiB, dockerd+containerd %d KiB (ratio %s)\n' "$b_rss2" "$d_rss2" "$(ratio $b_rss2 $d_rss2)"
