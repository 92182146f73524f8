#!/usr/bin/env bash
# The VFIO layer against a real kernel: boots Debian's kernel under QEMU (TCG,
# q35, emulated Intel IOMMU) with QEMU's edu and e1000e devices, runs
# vfio-guest and pci-guest inside (tests/vfio/init), and relays their TAP
# lines, renumbered, plus their "# " notes. Two boots: with interrupt
# remapping (everything), then without it (the EPERM advice of
# VFIO_SET_IOMMU). Fails when a guest does not reach its end (boot failure,
# crash, timeout).
#
# The kernel package is fetched here, not at build time (cached in KERNEL_DIR
# by fetch-kernel.sh), so a mirror that cannot be reached fails this test and
# not the whole suite's build; the initramfs is rebuilt each run (under 1 s).
# Usage: run-qemu-test.sh KERNEL_DIR VFIO_GUEST PCI_GUEST
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kdir=${1:?usage: run-qemu-test.sh KERNEL_DIR VFIO_GUEST PCI_GUEST}
vfio_guest=${2:?usage: run-qemu-test.sh KERNEL_DIR VFIO_GUEST PCI_GUEST}
pci_guest=${3:?usage: run-qemu-test.sh KERNEL_DIR VFIO_GUEST PCI_GUEST}
timeout_s=${CTNIC_QEMU_TIMEOUT:-120}

n=0
bad=0
fail() { n=$((n + 1)); bad=1; echo "not ok $n - $1"; }

if [ ! -x "$vfio_guest" ] || [ ! -x "$pci_guest" ]; then
  fail "the guest programs $vfio_guest and $pci_guest are built (make tests-build)"
  echo "1..$n"
  exit 1
fi
if ! "$here/fetch-kernel.sh" "$kdir" 2>&1 | sed 's/^/# /'; then
  fail "Debian's kernel image package is fetched and unpacked into $kdir"
  echo "1..$n"
  exit 1
fi
kenv=$kdir/kernel.env
# shellcheck disable=SC1090
. "$kenv"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
initrd=$work/initramfs.cpio.gz
if ! "$here/mkinitramfs.sh" "$initrd" "$kenv" "$vfio_guest" "$pci_guest" "$here/init" 2>&1 | sed 's/^/# /'; then
  fail "the guest initramfs is built"
  echo "1..$n"
  exit 1
fi
log=$work/console.log

# boot NAME INTREMAP(on|off) EXTRA_CMDLINE
boot() {
  local name=$1 intremap=$2 extra=$3 rc ms start_ns done_seen=0 line boot_bad=0
  start_ns=$(date +%s%N)
  # -nodefaults: no default NIC (q35's would be a second e1000e) and no VGA.
  # e1000e,romfile=: no iPXE option ROM to run at boot. e1000e sits behind a
  # PCIe root port so the kernel can reset it with a secondary bus reset: on
  # the root bus its only reset method is "pm", which QEMU 7.2 accepts without
  # resetting anything. x-speed=5: at 5 GT/s and below the kernel waits for
  # the device after the reset by polling its config space; above, it waits for
  # Data Link Layer Link Active, which QEMU 7.2's root port never reports after
  # a secondary bus reset (the reset then "fails" with ENOTTY after 1 s).
  timeout -k 5 "$timeout_s" qemu-system-x86_64 \
    -machine q35,kernel-irqchip=split -accel tcg -m 512M -smp 1 \
    -nodefaults -display none -serial stdio -no-reboot \
    -device intel-iommu,caching-mode=on,intremap="$intremap" \
    -device edu \
    -device pcie-root-port,id=rp1,chassis=1,slot=1,x-speed=5 -device e1000e,bus=rp1,romfile= \
    -kernel "$VMLINUZ" -initrd "$initrd" \
    -append "console=ttyS0 intel_iommu=on quiet loglevel=1 panic=-1 $extra" \
    </dev/null >"$log" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
  echo "# boot '$name' (intremap=$intremap): qemu exit status $rc, $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
  while IFS= read -r line; do
    line=${line%$'\r'}
    case "$line" in
      "ok "* | "not ok "*)
        n=$((n + 1))
        case "$line" in "not ok "*) bad=1; boot_bad=1 ;; esac
        # Drop the guest's own number; keep the name (and any directive).
        echo "$line" | sed -E "s/^(not ok|ok)( [0-9]+)?/\\1 $n/"
        ;;
      "# "*) echo "$line" ;;
      GUEST-DONE) done_seen=1 ;;
    esac
  done <"$log"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "boot '$name': QEMU finished within ${timeout_s} s"
  fi
  if [ "$done_seen" -ne 1 ]; then
    fail "boot '$name': the guest ran its tests to the end (last console lines below)"
    boot_bad=1
  fi
  if [ "$boot_bad" -eq 1 ]; then
    # What the TAP lines leave out: sanitizer reports, kernel panics.
    grep -v -e '^ok ' -e '^# ' "$log" | tail -n 40 | sed 's/^/# console: /'
  fi
}

echo "# $(qemu-system-x86_64 --version | head -1), kernel $KVER"
boot "interrupt remapping" on ""
boot "no interrupt remapping" off "ctnic.noremap"
echo "1..$n"
exit "$bad"
