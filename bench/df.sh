#!/usr/bin/env bash
# Side-by-side `system df` benchmark of berth against Docker Engine (issue 5:
# "system df with 500 images/containers/volumes: <= 1/2 of Docker's time"),
# both driven by the official docker CLI, each engine a PRIVATE daemon in its
# own temp roots (bench/private.sh). Setup, the same on both engines:
#   - N distinct images: `import` of N tiny tars, each one file with
#     different content (distinct layers, so Docker counts N images);
#   - N containers (`create`, never started): the first N/2 from those
#     images, each with a named volume dfv<i>, the rest from busybox;
#   - N volumes: dfv1..dfv<N/2> made by the containers above, the rest by
#     `volume create`;
#   - a 4 KiB file written straight into every container's writable layer
#     (upper dir) and every volume, as a container would have.
# Then `system df` and `system df -v`, engines interleaved.
# Usage: ./bench/df.sh   (root; `make build` first; BIN=dir picks other binaries)
# Knobs: N (images, containers and volumes each, 500), N_RUN (samples, 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N=${N:-500} N_RUN=${N_RUN:-10}
. bench/private.sh
header "system df, $N images/containers/volumes"

half=$((N / 2))
mkdir "$T/imgs"
for i in $(seq 1 "$N"); do
	mkdir "$T/imgs/$i"
	echo "image $i" >"$T/imgs/$i/id"
	tar -C "$T/imgs/$i" -cf "$T/imgs/$i.tar" id
done
s=$(now_ns)
for eng in b d; do
	sock=$(sock_of $eng)
	seq 1 "$N" | xargs -P 4 -n 25 env DOCKER_HOST="$sock" T="$T" sh -c \
		'for i; do '"$CLI"' import "$T/imgs/$i.tar" dfi$i >/dev/null; done' sh
	seq 1 "$half" | xargs -P 4 -n 25 env DOCKER_HOST="$sock" sh -c \
		'for i; do '"$CLI"' create --name dfc$i -v dfv$i:/data dfi$i true >/dev/null; done' sh
	seq $((half + 1)) "$N" | xargs -P 4 -n 25 env DOCKER_HOST="$sock" sh -c \
		'for i; do '"$CLI"' create --name dfc$i busybox true >/dev/null; '"$CLI"' volume create dfv$i >/dev/null; done' sh
done
for i in $(seq 1 "$N"); do
	head -c 4096 /dev/zero >"$T/data/volumes/dfv$i/_data/f"
	head -c 4096 /dev/zero >"$T/docker/volumes/dfv$i/_data/f"
done
for id in $(b ps -aq --no-trunc); do head -c 4096 /dev/zero >"$T/data/layers/rw/$id/upper/f"; done
for up in $(d inspect -f '{{.GraphDriver.Data.UpperDir}}' $(d ps -aq)); do head -c 4096 /dev/zero >"$up/f"; done
echo "setup: $(ms $((($(now_ns) - s) / 1000))) ms"
# Both engines must report the same figures, or the timing compares
# different work.
fig() { $1 system df --format '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}' | tr '\n' ';'; }
bf=$(fig b) df=$(fig d)
echo "berth:  $bf"
echo "docker: $df"
[ "$bf" = "$df" ] && echo "figures: identical" || echo "figures: WARNING they differ"

timed 0.5 "system df ($N images, containers, volumes)" system df
timed 0.5 "system df -v ($N images, containers, volumes)" system df -v
