#!/usr/bin/env bash
# Builds the QEMU guest's initramfs: busybox (static), the VFIO modules of the
# unpacked Debian kernel, lpc_ich, the static vfio-guest, the dynamically
# linked pci-guest with the shared libraries it needs, and /init.
# Usage: mkinitramfs.sh OUT.cpio.gz KERNEL_ENV VFIO_GUEST PCI_GUEST INIT
set -euo pipefail

out=${1:?}; kenv=${2:?}; vfio_guest=${3:?}; pci_guest=${4:?}; init=${5:?}
# shellcheck disable=SC1090
. "$kenv"

root=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
if ldd /bin/busybox >/dev/null 2>&1; then
  echo "mkinitramfs: /bin/busybox is dynamically linked: install busybox-static" >&2
  exit 1
fi

for m in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
         drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci \
         drivers/mfd/lpc_ich; do
  src="$MODDIR/kernel/$m.ko"
  [ -f "$src" ] || { echo "mkinitramfs: $src missing in the kernel package" >&2; exit 1; }
  cp "$src" "$root/lib/modules/"
done

install -m 755 "$vfio_guest" "$root/bin/vfio-guest"
install -m 755 "$pci_guest" "$root/bin/pci-guest"
# Shared libraries of pci-guest, at the paths the loader looks for them.
for lib in $(ldd "$pci_guest" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
install -m 755 "$init" "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
