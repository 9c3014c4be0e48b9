#!/bin/sh
# Build and run tools/nt_stores_ab.c with the flags of tools/count_instructions.sh.
# Usage: tools/nt_stores_ab.sh [pairs]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${WI_CSRC:-$here/../csrc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc=${CC:-gcc}
common="-ffp-contract=off -fno-math-errno -DWI_HAVE_X86_SIMD=1 -I$src"
for f in wi_params wi_pool wi_kernel_scalar wi_dispatch wi_build; do
  [ -f "$src/$f.c" ] || continue    # a $WI_CSRC from before the worker pool
  $cc -O2 $common -c "$src/$f.c" -o "$out/$f.o"
done
$cc -O3 $common -mavx2 -mfma -mf16c -fschedule-insns -fsched-pressure \
  -c "$src/wi_kernel_avx2.c" -o "$out/wi_kernel_avx2.o"
$cc -O3 $common -mavx512f -mavx512bw -mavx512dq -mavx512vl \
  -c "$src/wi_kernel_avx512.c" -o "$out/wi_kernel_avx512.o"
$cc -O2 $common "$here/nt_stores_ab.c" "$out"/*.o -o "$out/nt_stores_ab" -lm -lpthread
"$out/nt_stores_ab" "$@"
