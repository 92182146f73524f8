#!/usr/bin/env bash
# Fetches Debian's kernel image package (the linux-image-6.1.0-N-amd64 that
# linux-image-amd64 depends on) into a cache folder and unpacks it there with
# dpkg-deb -x; nothing is installed into the system. Writes DIR/kernel.env:
#   KVER=6.1.0-N-amd64  VMLINUZ=<path>  MODDIR=<path to lib/modules/KVER>
# Usage: fetch-kernel.sh DIR
set -euo pipefail

dir=${1:?usage: fetch-kernel.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Two test runs sharing a build root must not unpack over each other.
exec 9>"$dir/.lock"
flock 9

want_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64$/ { print $2; exit }'
}

pkg=$(want_pkg || true)
if [ -z "$pkg" ]; then
  echo "fetch-kernel: apt does not know linux-image-amd64 yet; running apt-get update" >&2
  apt-get update -qq
  pkg=$(want_pkg || true)
fi
if [ -z "$pkg" ]; then
  echo "fetch-kernel: linux-image-amd64 names no linux-image-6.1.0-*-amd64 (apt-cache depends linux-image-amd64)" >&2
  exit 1
fi
kver=${pkg#linux-image-}

if [ -f "$dir/kernel.env" ] && grep -qx "KVER=$kver" "$dir/kernel.env"; then
  exit 0
fi

tmp=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt-get download warns that it runs unsandboxed as root when _apt cannot
# write here: harmless.
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err") || {
  cat "$tmp/apt.err" >&2
  echo "fetch-kernel: apt-get download $pkg failed" >&2
  exit 1
}
rm -rf "$dir/$kver"
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir/$kver"
vmlinuz="$dir/$kver/boot/vmlinuz-$kver"
moddir="$dir/$kver/lib/modules/$kver"
[ -f "$vmlinuz" ] && [ -d "$moddir" ] || { echo "fetch-kernel: $pkg has no $vmlinuz or $moddir" >&2; exit 1; }
printf 'KVER=%s\nVMLINUZ=%s\nMODDIR=%s\n' "$kver" "$vmlinuz" "$moddir" > "$dir/kernel.env"
echo "fetch-kernel: $pkg unpacked in $dir/$kver" >&2
