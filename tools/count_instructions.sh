#!/bin/sh
# Build and run tools/count_instructions.c against the C core in csrc/ (or
# in $WI_CSRC), with the flags of CMakeLists.txt: the core at -O2, the SIMD
# kernel files at -O3 with their instruction sets; no FMA contraction (only
# the explicit fused calls fuse).
# Usage: tools/count_instructions.sh [n]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${WI_CSRC:-$here/../csrc}
simd_opt=${WI_SIMD_OPT:--O3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc=${CC:-gcc}
common="-ffp-contract=off -fno-math-errno -DWI_HAVE_X86_SIMD=1 -I$src"
for f in wi_params wi_fill wi_pool wi_kernel_scalar wi_dispatch wi_build; do
  [ -f "$src/$f.c" ] || continue    # a $WI_CSRC from before the worker pool
  $cc -O2 $common -c "$src/$f.c" -o "$out/$f.o"
done
$cc $simd_opt $common -mavx2 -mfma -mf16c -fschedule-insns -fsched-pressure \
  -c "$src/wi_kernel_avx2.c" -o "$out/wi_kernel_avx2.o"
$cc $simd_opt $common -mavx512f -mavx512bw -mavx512dq -mavx512vl \
  -c "$src/wi_kernel_avx512.c" -o "$out/wi_kernel_avx512.o"
$cc -O2 -I"$src" "$here/count_instructions.c" "$out"/*.o -o "$out/count_instructions" -lm -lpthread
"$out/count_instructions" "$@"
