#!/usr/bin/env bash
# Installs the Debian packages that ctnic's build, demo and tests need.
# Idempotent and quick when everything is present: dpkg is asked first, and
# apt-get runs only for what is missing.
set -euo pipefail

PKGS=(
  build-essential pkg-config python3 git
  verilator yosys
  libpcap-dev libpci-dev libcmocka-dev libcjson-dev linux-libc-dev
  qemu-system-x86 busybox-static cpio kmod
  iproute2 tcpdump iptables conntrack
  curl iputils-ping
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
