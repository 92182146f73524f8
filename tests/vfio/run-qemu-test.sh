#!/usr/bin/env bash
# The VFIO layer against a real kernel: boots Debian's kernel under QEMU (TCG,
# q35, emulated Intel IOMMU with interrupt remapping) with QEMU's edu and
# e1000e devices, runs vfio-guest and pci-guest inside (tests/vfio/init), and
# relays their TAP lines, renumbered, plus their "# " notes. Fails when the
# guest does not reach its end (boot failure, crash, timeout).
# Usage: run-qemu-test.sh KERNEL_ENV INITRAMFS
set -uo pipefail

kenv=${1:?usage: run-qemu-test.sh KERNEL_ENV INITRAMFS}
initrd=${2:?usage: run-qemu-test.sh KERNEL_ENV INITRAMFS}
timeout_s=${CTNIC_QEMU_TIMEOUT:-120}

n=0
fail() { n=$((n + 1)); echo "not ok $n - $1"; }

if [ ! -f "$kenv" ] || [ ! -f "$initrd" ]; then
  fail "the guest kernel ($kenv) and initramfs ($initrd) exist: run make tests-build"
  exit 1
fi
# shellcheck disable=SC1090
. "$kenv"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
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
  -device intel-iommu,caching-mode=on,intremap=on \
  -device edu \
  -device pcie-root-port,id=rp1,chassis=1,slot=1,x-speed=5 -device e1000e,bus=rp1,romfile= \
  -kernel "$VMLINUZ" -initrd "$initrd" \
  -append "console=ttyS0 intel_iommu=on quiet loglevel=1 panic=-1" \
  </dev/null >"$log" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
elapsed="$((ms / 1000)).$(printf %03d $((ms % 1000)))"

echo "# qemu-system-x86_64 $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), kernel $KVER, exit status $rc, ${elapsed} s"
done_seen=0
while IFS= read -r line; do
  line=${line%$'\r'}
  case "$line" in
    "ok "* | "not ok "*)
      n=$((n + 1))
      # Drop the guest's own number; keep the name (and any directive).
      echo "$line" | sed -E "s/^(not ok|ok) [0-9]+/\\1 $n/"
      ;;
    "# "*) echo "$line" ;;
    GUEST-DONE) done_seen=1 ;;
  esac
done <"$log"

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  fail "QEMU finished within ${timeout_s} s"
fi
if [ "$done_seen" -ne 1 ]; then
  fail "the guest ran its tests to the end (last console lines below)"
  tail -n 30 "$log" | sed 's/^/# console: /'
fi
echo "1..$n"
grep -q '^not ok' < <(sed 's/\r$//' "$log") && exit 1
[ "$done_seen" -eq 1 ] || exit 1
exit 0
