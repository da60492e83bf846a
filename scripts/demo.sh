#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, start a
# berth daemon on the default socket, import busybox made offline, run a
# container serving HTTP on a published 127.0.0.1 port and fetch a page.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH=$PATH:/usr/local/go/bin CGO_ENABLED=1
make build
BIN=$PWD/bin
SOCK=/run/berth/berth.sock
export DOCKER_HOST=unix://$SOCK

if ! "$BIN/berth" version >/dev/null 2>&1; then
	mkdir -p /var/log
	echo "starting berth daemon (log: /var/log/berth.log)"
	nohup "$BIN/berth" daemon >/var/log/berth.log 2>&1 &
	for _ in $(seq 1 100); do
		"$BIN/berth" version >/dev/null 2>&1 && break
		sleep 0.1
	done
fi
"$BIN/berth" version --format 'daemon up: berth {{.Server.Version}}, API {{.Server.APIVersion}}'

if ! "$BIN/berth" image inspect busybox:latest >/dev/null 2>&1; then
	tmp=$(mktemp --suffix=.tar)
	./scripts/mkbusybox.sh "$tmp"
	"$BIN/berth" import --change 'CMD ["sh"]' "$tmp" busybox:latest
	rm -f "$tmp"
fi
"$BIN/berth" images busybox

"$BIN/berth" rm -f berth-demo >/dev/null 2>&1 || true
"$BIN/berth" run -d --name berth-demo -p 127.0.0.1:4000:80 busybox httpd -f -p 80 -h /var/www
for _ in $(seq 1 50); do
	page=$(curl -fsS http://127.0.0.1:4000/ 2>/dev/null) && break
	sleep 0.1
done
echo "GET http://127.0.0.1:4000/ -> ${page:-<no answer>}"
"$BIN/berth" ps
cat <<MSG

berth is running. Point the docker CLI at it:
  export DOCKER_HOST=$DOCKER_HOST
  docker run --rm busybox echo hi
Stop the demo container with: $BIN/berth rm -f berth-demo
Stop the daemon with:         kill \$(cat /run/berth/berth.pid)
MSG
[ -n "${page:-}" ]
