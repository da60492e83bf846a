# Starts a private Docker Engine (Debian's docker.io) and a private berth
# daemon side by side, each with its own roots, socket and bridge, both
# driven by the same official docker CLI through b() and d(); imports the
# offline busybox into both; removes everything on exit (containers,
# daemons, dirs, bridges, the chains dockerd added). Sourced by the bench
# scripts after bench/lib.sh, as root, from the repository root.
# Set PRE_CLEANUP to a command run during cleanup (e.g. to remove
# networks the script made) before the daemons stop, and DOCKER_IPTABLES=false
# for benchmarks that publish no ports: dockerd then changes no firewall
# rules or forwarding at all. BIN=dir picks other berth binaries.
BIN=${BIN:-$PWD/bin}
DOCKER_IPTABLES=${DOCKER_IPTABLES:-true}
CLI=${CLI:-/usr/local/bin/docker}
DBR=${DBR:-btdock1} DNET=${DNET:-10.96.0.1/24}
BBR=${BBR:-btbench1} BNET=${BNET:-10.97.0.1/24}
[ -x "$BIN/berth" ] && [ -x "$BIN/berth-shim" ] || { echo "run 'make build' first"; exit 1; }
[ -x "$CLI" ] || { echo "$CLI (official docker CLI) not found"; exit 1; }
for br in $DBR $BBR; do
	ip link show "$br" >/dev/null 2>&1 && { echo "bridge $br already exists (leftover run?); remove it first"; exit 1; }
done

# --- Docker Engine: install without letting the package start services ----
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
	made_policy=
	[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io >/dev/null
	[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
if [ -S /run/containerd/containerd.sock ]; then
	# dockerd would attach to it instead of starting its own managed containerd.
	echo "a system containerd is running at /run/containerd/containerd.sock; refusing to share it"; exit 1
fi

T=$(mktemp -d /tmp/btbench.XXXXXX)
chmod 755 "$T"
DSOCK=$T/docker.sock BSOCK=$T/berth.sock
DPID= BPID= CPID=
snapshot_host "$T/host-before"

cleanup() {
	set +e
	echo "--- cleanup"
	[ -z "${PRE_CLEANUP:-}" ] || eval "$PRE_CLEANUP"
	for s in "$BSOCK" "$DSOCK"; do
		[ -S "$s" ] || continue
		ids=$(DOCKER_HOST=unix://$s "$CLI" ps -aq 2>/dev/null)
		[ -z "$ids" ] || DOCKER_HOST=unix://$s "$CLI" rm -f $ids >/dev/null 2>&1
	done
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait_gone "$DPID" 30 || { echo "dockerd did not stop; SIGKILL"; kill -KILL "$DPID"; }
	fi
	# dockerd stops its managed containerd; make sure (it is ours: its
	# command line names our temp dir).
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

	restore_host "$T/host-before"
	umount_under "$T"
	rm -rf "$T"
	left=$(pgrep -f -- "$T" || true)
	[ -z "$left" ] && echo "cleanup: done, no processes left" || echo "cleanup: WARNING processes still running: $left"
}
trap 'FAILED=1' ERR
trap cleanup EXIT

scripts/mkbusybox.sh "$T/busybox.tar"

docker_net_flags() {
	if [ "$DOCKER_IPTABLES" = false ]; then
		echo --iptables=false --ip6tables=false --ip-forward=false
	else
		echo --iptables=true
	fi
}

# --- start the private dockerd (it starts its own managed containerd) ----
ip link add "$DBR" type bridge
ip addr add "$DNET" dev "$DBR"
ip link set "$DBR" up
echo "{}" >"$T/daemon.json"
echo "{}" >"$T/berth-daemon.json"
dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/docker-run" \
	-H "unix://$DSOCK" --pidfile "$T/docker.pid" --bridge "$DBR" $(docker_net_flags) \
	--storage-driver overlay2 >"$T/dockerd.log" 2>&1 &
DPID=$!

# --- start the private berth daemon ---------------------------------------
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
CPID=$(pids_matching containerd "$T" | awk "NR==1")
[ -n "$CPID" ] || { echo "dockerd's managed containerd not found"; FAILED=1; exit 1; }

b import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null
d import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null


bprocs() { echo "$BPID" $(pids_matching berth-shim "$T"); }
dprocs() { echo "$DPID" $(pids_matching containerd "$T") $(pids_matching containerd-shim-runc-v2 "$T"); }
