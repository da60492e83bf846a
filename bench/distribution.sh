#!/usr/bin/env bash
# Side-by-side registry benchmarks of berth against Docker Engine, both
# driven by the official docker CLI, each engine a PRIVATE daemon
# (bench/private.sh), the registry `berth registry serve` on 127.0.0.1:
#   1. push of a LAYERS-layer image of LAYERS*MB MiB (random data, made
#      locally with run+commit, loaded into Docker with save|load) to an
#      empty registry;
#   2. pull of the same image (the blobs Docker pushed), nothing local;
#   3. registry GET throughput: all layer blobs fetched 4 at a time with
#      curl, from `berth registry serve` and from Debian's docker-registry
#      (distribution 2.8) serving the same storage directory.
# Usage: ./bench/distribution.sh   (root; `make build` first)
# Knobs: N_RUN (rounds, 3), LAYERS (10), MB (30 per layer).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_RUN=${N_RUN:-3} LAYERS=${LAYERS:-10} MB=${MB:-30}
REGPID= R28PID=
PRE_CLEANUP='[ -z "$REGPID" ] || kill $REGPID 2>/dev/null; [ -z "$R28PID" ] || kill $R28PID 2>/dev/null; true'
. bench/private.sh
header "distribution ($LAYERS layers x $MB MiB)"

# start_registry ROOT: serves ROOT on a free port; sets REG and REGPID.
start_registry() {
	: >"$T/reg.log"
	"$BIN/berth" registry serve --addr 127.0.0.1:0 --root "$1" --log-level warn 2>"$T/reg.log" &
	REGPID=$!
	for _ in $(seq 1 100); do
		REG=$(sed -n 's/.*registry listening on \([^ ]*\).*/\1/p' "$T/reg.log")
		[ -n "$REG" ] && return
		sleep 0.1
	done
	echo "registry did not start"; cat "$T/reg.log"; exit 1
}
stop_registry() { kill "$REGPID"; wait "$REGPID" 2>/dev/null || true; REGPID=; }

# --- the image: LAYERS layers of random data, built in berth -------------
prev=busybox
for i in $(seq 1 "$LAYERS"); do
	b run --name mk "$prev" dd if=/dev/urandom of=/layer$i bs=1048576 count="$MB" 2>/dev/null
	b commit mk big:$i >/dev/null
	b rm mk >/dev/null
	prev=big:$i
done
# Committed images keep their parents; a saved and loaded copy has none,
# so removing it later really removes its layers in both engines.
b save -o "$T/big.tar" big:$LAYERS
for i in $(seq "$LAYERS" -1 1); do b rmi big:$i >/dev/null; done
b load -i "$T/big.tar" >/dev/null
d load -i "$T/big.tar" >/dev/null
rm -f "$T/big.tar"
echo "image: $(b image inspect --format '{{len .RootFS.Layers}}' big:$LAYERS) layers, $(b image inspect --format '{{.Size}}' big:$LAYERS) bytes"

# --- 1. push to an empty registry -----------------------------------------
: >"$T/push-b"; : >"$T/push-d"
for r in $(seq 1 "$N_RUN"); do
	for eng in b d; do
		rm -rf "$T/regroot"; start_registry "$T/regroot"
		$eng tag big:$LAYERS "$REG/bench/big:$r"
		s=$(now_ns); $eng push "$REG/bench/big:$r" >/dev/null; e=$(now_ns)
		echo $(((e - s) / 1000)) >>"$T/push-$eng"
		$eng rmi "$REG/bench/big:$r" >/dev/null
		stop_registry
	done
done

# --- 2. pull (Docker's blobs) ---------------------------------------------
rm -rf "$T/regroot"; start_registry "$T/regroot"
d tag big:$LAYERS "$REG/bench/pull:1"
d push "$REG/bench/pull:1" >/dev/null
for eng in b d; do $eng rmi big:$LAYERS >/dev/null; done
d rmi "$REG/bench/pull:1" >/dev/null
: >"$T/pull-b"; : >"$T/pull-d"
for r in $(seq 1 "$N_RUN"); do
	for eng in b d; do
		s=$(now_ns); $eng pull "$REG/bench/pull:1" >/dev/null; e=$(now_ns)
		echo $(((e - s) / 1000)) >>"$T/pull-$eng"
		$eng rmi "$REG/bench/pull:1" >/dev/null
	done
done

# --- 3. registry GET throughput --------------------------------------------
blobs=$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/bench/pull/manifests/1" |
	grep -o '"digest": *"sha256:[0-9a-f]*"' | sed 's/.*"\(sha256:[0-9a-f]*\)"/\1/' | tail -n "$LAYERS")
total=$(for d in $blobs; do curl -sfI "http://$REG/v2/bench/pull/blobs/$d" | tr -d '\r' | awk 'tolower($1)=="content-length:"{print $2}'; done | awk '{s+=$1} END {print s}')
get_all() { # HOST: wall time in µs of fetching every layer blob, 4 at a time
	local s e
	s=$(now_ns)
	echo "$blobs" | xargs -P 4 -I{} curl -sf -o /dev/null "http://$1/v2/bench/pull/blobs/{}"
	e=$(now_ns)
	echo $(((e - s) / 1000))
}
R28=
if command -v docker-registry >/dev/null; then
	cat >"$T/r28.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $T/regroot
http:
  addr: 127.0.0.1:0
YML
	docker-registry serve "$T/r28.yml" 2>"$T/r28.log" &
	R28PID=$!
	for _ in $(seq 1 100); do
		R28=$(sed -n 's/.*msg="listening on \([^"]*\)".*/\1/p' "$T/r28.log")
		[ -n "$R28" ] && break
		sleep 0.1
	done
fi
: >"$T/get-b"; : >"$T/get-r"
get_all "$REG" >/dev/null
[ -z "$R28" ] || get_all "$R28" >/dev/null
for r in $(seq 1 $((N_RUN * 2))); do
	get_all "$REG" >>"$T/get-b"
	[ -z "$R28" ] || get_all "$R28" >>"$T/get-r"
done

mbps() { awk -v b="$total" -v us="$1" 'BEGIN{printf "%.0f", b/1048576/(us/1e6)}'; }
pb=$(median <"$T/push-b") pd=$(median <"$T/push-d")
lb=$(median <"$T/pull-b") ld=$(median <"$T/pull-d")
echo
echo "## push to an empty registry ($N_RUN runs each)"
printf '  berth:  median %7s ms\n  docker: median %7s ms\n  ratio berth/docker: %s   (target <= 0.667)\n' "$(ms "$pb")" "$(ms "$pd")" "$(ratio "$pb" "$pd")"
echo
echo "## pull, nothing local ($N_RUN runs each)"
printf '  berth:  median %7s ms\n  docker: median %7s ms\n  ratio berth/docker: %s   (target <= 0.667)\n' "$(ms "$lb")" "$(ms "$ld")" "$(ratio "$lb" "$ld")"
echo
echo "## registry GET throughput ($LAYERS blobs, $total bytes, 4 parallel, $((N_RUN * 2)) runs)"
gb=$(median <"$T/get-b")
printf '  berth registry serve:      median %7s ms  (%s MiB/s)\n' "$(ms "$gb")" "$(mbps "$gb")"
if [ -n "$R28" ]; then
	gr=$(median <"$T/get-r")
	printf '  docker-registry 2.8:       median %7s ms  (%s MiB/s)\n' "$(ms "$gr")" "$(mbps "$gr")"
	printf '  throughput ratio berth/2.8: %s   (target >= 1)\n' "$(ratio "$gr" "$gb")"
else
	echo "  docker-registry (Debian's distribution 2.8) not installed or did not start: no comparison"
fi
