#!/usr/bin/env bash
# Installs what building, running and testing berth needs, from Debian's
# packages only. Idempotent: installs only what is missing.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# python3-docker and docker-compose: clients we did not write, driven by
# integration/clients and integration/build; git: remote build contexts;
# patch: scripts/swarmkit-fork.sh (make build).
for p in busybox-static iptables nftables runc crun libseccomp-dev iproute2 tini gcc procps psmisc xz-utils bzip2 curl git patch python3-docker docker-compose; do
	have "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The oracle for side-by-side tests: Docker Engine (integration/distribution
# runs a private dockerd against our registry) and distribution 2.8. Their
# packages must not start services: a policy-rc.d refuses for the install.
oracle=()
for p in docker.io docker-registry; do
	have "$p" || oracle+=("$p")
done
if [ ${#oracle[@]} -gt 0 ]; then
	echo "installing (no services started): ${oracle[*]}"
	made_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	[ ${#need[@]} -gt 0 ] || apt-get update -qq
	apt-get install -y -qq "${oracle[@]}" >/dev/null
	[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "Go is required (expected at /usr/local/go)"; exit 1; }
