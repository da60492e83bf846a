# Helpers for bench/run.sh: timing, process memory, and the host-state
# snapshot/restore that lets the benchmark leave the machine as it found it.
# Sourced, not executed.

now_ns() { date +%s%N; }

# median of the numbers on stdin (average of the two middle ones when even).
median() {
	sort -n | awk '{a[NR]=$1} END {if (NR==0) {print 0; exit}
		if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# ratio A B with 3 decimals (A/B).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b==0) print "n/a"; else printf "%.3f", a/b}'; }

# pids_matching EXE SUBSTR: pids whose executable is EXE (basename match, as
# packaged binaries may be invoked through symlinks) and whose command line
# contains SUBSTR (our temp dir), so other people's processes never count.
pids_matching() {
	local exe=$1 sub=$2 p
	for p in /proc/[0-9]*; do
		# A binary replaced while it runs reads as "NAME (deleted)".
		[ "$(basename "$(readlink "$p/exe" 2>/dev/null)" | sed 's/ (deleted)$//')" = "$exe" ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$sub" || continue
		echo "${p#/proc/}"
	done
}

# mem_of PIDS...: prints "RSS_KB PSS_KB COUNT" summed over the live pids.
mem_of() {
	local rss=0 pss=0 n=0 p r s
	for p in "$@"; do
		r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null) || continue
		[ -n "$r" ] || continue
		s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		rss=$((rss + r)) pss=$((pss + ${s:-0})) n=$((n + 1))
	done
	echo "$rss $pss $n"
}

# wait_gone PID SECONDS: wait for a process we signalled to exit.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# --- host state -----------------------------------------------------------

# snapshot_host DIR: record what exists before dockerd touches the host.
snapshot_host() {
	local d=$1 f
	mkdir -p "$d"
	for f in ip ip6; do
		nft list table "$f" filter >/dev/null 2>&1 && touch "$d/nft-$f-filter"
		nft list table "$f" nat >/dev/null 2>&1 && touch "$d/nft-$f-nat"
	done
	iptables -t filter -S 2>/dev/null | awk '$1=="-N"{print $2}' >"$d/chains-filter" || true
	iptables -t nat -S 2>/dev/null | awk '$1=="-N"{print $2}' >"$d/chains-nat" || true
	iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3}' >"$d/forward-policy" || true
	cat /proc/sys/net/ipv4/ip_forward >"$d/ip_forward"
	for f in /etc/docker/key.json /run/containerd /run/docker /var/run/docker.sock /var/lib/docker /var/lib/containerd; do
		[ -e "$f" ] && echo "$f" >>"$d/paths"
	done
	touch "$d/paths"
}

# restore_host DIR: undo what the private dockerd left behind, touching only
# things that did not exist in the snapshot.
restore_host() {
	local d=$1 fam tbl c rule
	for fam in ip ip6; do
		for tbl in filter nat; do
			if [ ! -e "$d/nft-$fam-$tbl" ] && nft list table "$fam" "$tbl" >/dev/null 2>&1; then
				nft delete table "$fam" "$tbl" && echo "cleanup: removed nft table $fam $tbl (created by dockerd)"
			fi
		done
	done
	# Tables that existed before: drop only the DOCKER* chains this run added.
	for tbl in filter nat; do
		[ -e "$d/nft-ip-$tbl" ] || continue
		for c in $(iptables -t "$tbl" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do
			grep -qx "$c" "$d/chains-$tbl" && continue
			iptables -t "$tbl" -S 2>/dev/null | grep -E -- "-j $c( |\$)" | grep '^-A' | while read -r rule; do
				# shellcheck disable=SC2086
				iptables -t "$tbl" ${rule/-A/-D} || true
			done
			iptables -t "$tbl" -F "$c" 2>/dev/null || true
		done
		for c in $(iptables -t "$tbl" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do
			grep -qx "$c" "$d/chains-$tbl" || { iptables -t "$tbl" -X "$c" && echo "cleanup: removed chain $tbl/$c"; }
		done
	done
	if [ -s "$d/forward-policy" ] && [ -e "$d/nft-ip-filter" ]; then
		iptables -P FORWARD "$(cat "$d/forward-policy")" 2>/dev/null || true
	fi
	cat "$d/ip_forward" >/proc/sys/net/ipv4/ip_forward
	for f in /etc/docker/key.json /run/containerd /run/docker /var/run/docker.sock /var/lib/docker /var/lib/containerd; do
		grep -qx "$f" "$d/paths" && continue
		[ -e "$f" ] || [ -L "$f" ] || continue
		umount_under "$f"
		rm -rf "$f" && echo "cleanup: removed $f (created by this run)"
	done
}

# umount_under DIR: lazily unmount every mount at or below DIR, deepest first.
umount_under() {
	awk -v p="$1" '$5==p || index($5, p"/")==1 {print $5}' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# proc_detail PID: one line describing where a process's memory goes.
proc_detail() {
	local p=$1
	printf 'threads %s, ' "$(awk '/^Threads:/{print $2}' "/proc/$p/status")"
	awk '/^(Rss|Pss|Shared_Clean|Private_Clean|Private_Dirty|Anonymous):/ {printf "%s %d KiB, ", $1, $2}' "/proc/$p/smaps_rollup" | sed 's/, $//'
	echo
}
