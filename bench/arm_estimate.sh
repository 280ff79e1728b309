#!/usr/bin/env bash
# Estimates, without a board, the speed of the NEON inner loops on a Raspberry Pi 4 (Cortex-A72,
# 1.8 GHz) and 5 (Cortex-A76, 2.4 GHz): compiles bench/arm_mca.cpp for aarch64 (llvm-mca blocks
# marked: one loop iteration of each Highway kernel, the same code as platform/src/highway/), runs llvm-mca-14 on each block and prints cycles per output element and the time per
# 224x224 RGB frame next to the DRAM floor (a memset of the 602 KB output at the board's
# single-thread memset bandwidth).
#
#   bench/arm_estimate.sh            needs g++-aarch64-linux-gnu, libhwy-dev, llvm-14 (.ci/install-deps --bench)
#
# On a Pi itself, time it for real instead: build natively and run bench/pixnorm_bench (or
# `pixnorm bench`), which prints the same cases against a memset measured on the board.
# llvm-mca-14 has no Cortex-A76 model: it schedules -mcpu=cortex-a76 with the Cortex-A57 model
# that it also uses for the A72, so the A76 line is an A72-class estimate at the A76's clock
# (the A76 issues more per cycle: read it as an upper bound on the time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cxx=${CXX_AARCH64:-aarch64-linux-gnu-g++}
mca=${LLVM_MCA:-llvm-mca-14}
for tool in "$cxx" "$mca"; do
  command -v "$tool" >/dev/null || { echo "arm_estimate: $tool not found (run .ci/install-deps --bench)" >&2; exit 1; }
done

"$cxx" -std=c++17 -O3 -mcpu=cortex-a72 -ffp-contract=off -DHWY_COMPILE_ONLY_STATIC \
  -I"$root/runtime/include" -I"$root/platform/src" -S "$root/bench/arm_mca.cpp" -o "$work/k.s"

# region  output elements per block  (NEON: 16 pixels x 3 channels; 48 floats; 16 bytes reduced;
# pil_hw: 4 bytes of two rows; pil_v4: two vectors of 4 int32 lanes)
regions="nchw_rgb:48 nhwc_rgb:48 reduce_bytes:16 pil_hw:8 pil_v4:8"
elements=$((224 * 224 * 3))
printf '%-13s %-11s %8s %10s %12s %12s %14s\n' block cpu cyc/elem "GHz" "us/frame" "DRAM floor" "compute/floor"
for entry in $regions; do
  region=${entry%%:*} per_block=${entry##*:}
  awk -v r="$region" '$0 ~ "LLVM-MCA-BEGIN "r {on=1; next} on && /LLVM-MCA-END/ {on=0} on && !/^[[:space:]]*(#|\/\/|\.)/' \
    "$work/k.s" > "$work/$region.s"
  [ -s "$work/$region.s" ] || { echo "arm_estimate: no block '$region' in the compiled kernels" >&2; exit 1; }
  for board in "cortex-a72 1.8 3.1" "cortex-a76 2.4 13.7"; do
    set -- $board
    cpu=$1 ghz=$2 gbs=$3
    cycles=$("$mca" -mtriple=aarch64-linux-gnu -mcpu="$cpu" -iterations=1000 "$work/$region.s" 2>/dev/null |
             awk '/^Total Cycles:/ {print $3}')
    awk -v c="$cycles" -v pb="$per_block" -v n="$elements" -v ghz="$ghz" -v gbs="$gbs" -v r="$region" -v cpu="$cpu" '
      BEGIN {
        cpe = c / 1000 / pb
        us = cpe * n / (ghz * 1e3)
        floor = n * 4 / (gbs * 1e3)       # output bytes at the memset bandwidth, in us
        if (r == "reduce_bytes" || r ~ /^pil/) { us = cpe * n / (ghz * 1e3); floor = 0 }
        if (floor > 0) printf "%-13s %-11s %8.3f %10.1f %12.1f %12.1f %14.2f\n", r, cpu, cpe, ghz, us, floor, us / floor
        else           printf "%-13s %-11s %8.3f %10.1f %12.1f %12s %14s\n", r, cpu, cpe, ghz, us, "-", "-"
      }'
  done
done
echo "(us/frame: 224x224 RGB to float32, one core; reduce_bytes: the extra pass of the per-image modes;"
echo " pil_hw, pil_v4: Pillow's horizontal and vertical passes, per 224x224x3 bytes they write)"
