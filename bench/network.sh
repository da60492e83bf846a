#!/usr/bin/env bash
# Networking benchmarks of berth against Docker Engine, side by side in one
# run (issue 4):
#  1. HTTP throughput (wrk) through a port published on 127.0.0.1, and to
#     the container's own address, for the same busybox httpd;
#  2. time to attach a container to a user-defined network: `run --rm
#     --network NET busybox true`, engines interleaved, median (and the same
#     on the default bridge, to separate the network's share).
# Traffic goes only to 127.0.0.1 and to the containers this script made.
# Usage: ./bench/network.sh   (root; `make build` first)
# Knobs: N_ATTACH (samples, 20), WRK_SECONDS (10), WRK_CONNS (16).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" = 0 ] || { echo "bench/network.sh needs root"; exit 1; }
N_ATTACH=${N_ATTACH:-20} WRK_SECONDS=${WRK_SECONDS:-10} WRK_CONNS=${WRK_CONNS:-16}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null

PRE_CLEANUP='b network rm benchnet >/dev/null 2>&1; d network rm benchnet >/dev/null 2>&1'
. bench/engines.sh

echo "=== berth vs Docker Engine: networking — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Docker Engine: $(d version --format '{{.Server.Version}}') (userland-proxy default: on); berth: $(b version --format '{{.Server.Version}}')"
echo "host: $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. throughput -------------------------------------------------------------
# One small static file; busybox httpd forks per connection, the same for both.
srv='mkdir -p /www && echo hello-from-the-bench >/www/index.html && exec httpd -f -p 80 -h /www'
b run -d --name web -p 127.0.0.1:18080:80 busybox sh -c "$srv" >/dev/null
d run -d --name web -p 127.0.0.1:18081:80 busybox sh -c "$srv" >/dev/null
bip=$(b inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' web)
dip=$(d inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' web)
sleep 1
# rps URL: requests/s from wrk (2 threads).
rps() {
	wrk -t2 -c"$WRK_CONNS" -d"${WRK_SECONDS}s" "$1" 2>/dev/null | awk '/^Requests\/sec:/ {print $2}'
}
echo
echo "## HTTP throughput, wrk -t2 -c$WRK_CONNS -d${WRK_SECONDS}s, busybox httpd"
b_pub=$(rps http://127.0.0.1:18080/index.html)
d_pub=$(rps http://127.0.0.1:18081/index.html)
b_dir=$(rps "http://$bip/index.html")
d_dir=$(rps "http://$dip/index.html")
printf '  berth:  published 127.0.0.1 %9s req/s   container address %9s req/s\n' "$b_pub" "$b_dir"
printf '  docker: published 127.0.0.1 %9s req/s   container address %9s req/s\n' "$d_pub" "$d_dir"
printf '  published, berth/docker: %s   (target >= 1)\n' "$(ratio "$b_pub" "$d_pub")"
printf '  berth published/direct: %s   (target >= 0.80)\n' "$(ratio "$b_pub" "$b_dir")"
b rm -f web >/dev/null; d rm -f web >/dev/null

# --- 2. attach time -------------------------------------------------------------
b network create --subnet 10.95.2.0/24 benchnet >/dev/null
d network create --subnet 10.95.1.0/24 benchnet >/dev/null
echo
echo "## run --rm --network benchnet busybox true (2 warm-ups, $N_ATTACH samples each, interleaved)"
for _ in 1 2; do b run --rm --network benchnet busybox true; d run --rm --network benchnet busybox true; done
for f in bn dn bb db; do : >"$T/t-$f"; done
sample() { local s e; s=$(now_ns); "$@"; e=$(now_ns); echo $(((e - s) / 1000)); }
for _ in $(seq 1 "$N_ATTACH"); do
	sample b run --rm --network benchnet busybox true >>"$T/t-bn"
	sample d run --rm --network benchnet busybox true >>"$T/t-dn"
	sample b run --rm busybox true >>"$T/t-bb"
	sample d run --rm busybox true >>"$T/t-db"
done
ms() { median <"$1" | awk '{printf "%.1f", $1/1000}'; }
printf '  berth:  user network %7s ms   default bridge %7s ms\n' "$(ms "$T/t-bn")" "$(ms "$T/t-bb")"
printf '  docker: user network %7s ms   default bridge %7s ms\n' "$(ms "$T/t-dn")" "$(ms "$T/t-db")"
printf '  user network, berth/docker: %s   (target <= 0.5)\n' "$(ratio "$(median <"$T/t-bn")" "$(median <"$T/t-dn")")"
