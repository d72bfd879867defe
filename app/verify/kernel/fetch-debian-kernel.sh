#!/usr/bin/env bash
# usage: fetch-debian-kernel.sh <cache-dir>
# Puts Debian's current prebuilt 6.12 kernel (image + modules + headers) under <cache-dir>/<kver>/root with
# `apt-get download` + `dpkg-deb -x`: never `apt-get install`, which would install a kernel into /boot and
# rebuild an initramfs (minutes). Generates modules.dep, builds kpinj.ko against the headers, and prints the
# kernel version on stdout (the only stdout line). Idempotent: a complete cache is reused; kpinj.ko is rebuilt
# only when its source changed.
#   env: STABLEBOT_KERNEL_SERIES (default 6.12), STABLEBOT_KERNEL_VERSION (e.g. 6.12.117+deb12-amd64) to pin.
set -euo pipefail
CACHE=${1:?usage: fetch-debian-kernel.sh <cache-dir>}
SERIES=${STABLEBOT_KERNEL_SERIES:-6.12}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
log() { echo "fetch-debian-kernel: $*" >&2; }

newest() { # newest kernel version apt knows for $SERIES, flavour amd64 (image name pattern $1)
  apt-cache search --names-only "^linux-image-${SERIES//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64$1\$" 2>/dev/null |
    awk '{print $1}' | sed -e 's/^linux-image-//' -e 's/-unsigned$//' | sort -V | tail -1
}

KVER=${STABLEBOT_KERNEL_VERSION:-}
if [ -z "$KVER" ]; then
  KVER=$(newest -unsigned)
  [ -n "$KVER" ] || KVER=$(newest '')
fi
if [ -z "$KVER" ] && [ -s "$CACHE/current" ]; then
  KVER=$(cat "$CACHE/current")   # offline: keep what we have
  log "apt knows no linux-image-$SERIES.*; using the cached $KVER"
fi
[ -n "$KVER" ] || { log "apt knows no linux-image-$SERIES.*-amd64 package (run apt-get update first)"; exit 2; }
case $KVER in *[!A-Za-z0-9.+~-]*) log "bad kernel version: $KVER"; exit 2;; esac

D=$CACHE/$KVER
ROOT=$D/root
if [ ! -f "$D/.complete" ]; then
  rm -rf "$D"; mkdir -p "$D/debs" "$ROOT"
  BASE=${KVER%-amd64}                        # 6.12.117+deb12
  IMAGE=linux-image-$KVER-unsigned
  apt-cache show "$IMAGE" >/dev/null 2>&1 || IMAGE=linux-image-$KVER
  PKGS=("$IMAGE" "linux-headers-$KVER" "linux-headers-$BASE-common" "linux-kbuild-$BASE")
  log "downloading ${PKGS[*]}"
  (cd "$D/debs" && apt-get -q -o APT::Sandbox::User=root download "${PKGS[@]}" >&2)
  for deb in "$D"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
  rm -rf "$D/debs"
  # the arch headers' Makefile includes the common headers by absolute /usr/src path: point it into ROOT
  sed -i "s|^include /usr/src/|include $ROOT/usr/src/|" "$ROOT/usr/src/linux-headers-$KVER/Makefile"
  [ -f "$ROOT/boot/vmlinuz-$KVER" ] || { log "no vmlinuz-$KVER in $IMAGE"; exit 2; }
  # the .deb ships no modules.dep: generate it inside the extracted tree
  depmod -b "$ROOT" "$KVER"
  touch "$D/.complete"
fi
echo "$KVER" > "$CACHE/current"

# kpinj.ko against the headers (the headers' own Makefile finds kbuild through relative links)
KB=$D/kpinj
if ! cmp -s "$HERE/kpinj.c" "$KB/kpinj.c" || [ ! -f "$KB/kpinj.ko" ]; then
  rm -rf "$KB"; mkdir -p "$KB"
  cp "$HERE/kpinj.c" "$HERE/Makefile" "$KB/"
  log "building kpinj.ko for $KVER"
  # no BTF for our module: it would need pahole (dwarves) and nothing here reads it
  make -s -C "$ROOT/usr/src/linux-headers-$KVER" M="$KB" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2
fi
echo "$KVER"
