#!/usr/bin/env bash
# Turns Debian's busybox-static into a rootfs tarball for `berth import`
# (or `docker import`): /bin/busybox, its applet links, a minimal /etc.
# Usage: scripts/mkbusybox.sh OUT.tar
set -euo pipefail
out=${1:?usage: mkbusybox.sh OUT.tar}
bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || { echo "$bb is not static: apt-get install busybox-static"; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev,var/www,var/spool/cron/crontabs}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
"$bb" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -sf /bin/busybox "$root/$applet"
done
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
tty:x:5:
www-data:x:33:
nogroup:x:65534:
G
echo "<h1>Hello from berth</h1>" > "$root/var/www/index.html"
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00' -C "$root" -cf "$out" .
