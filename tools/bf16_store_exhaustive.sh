#!/usr/bin/env bash
# Build and run tools/bf16_store_exhaustive.c: the SIMD bfloat16 store
# against the scalar rounding on every float32 pattern.
# Usage: tools/bf16_store_exhaustive.sh [avx2|avx512|avx512-emulated] [stride]
# avx512-emulated builds the AVX-512 kernel on SIMDe (libsimde-dev), as
# tools/avx512_emulated.sh does. Exit status: 0 all equal, 1 a mismatch,
# 2 cannot build.
set -euo pipefail
cd "$(dirname "$0")/.."
isa=${1:-avx2}
stride=${2:-1}
out=${OUT:-build/bf16-exhaustive}
mkdir -p "$out"
common="-std=gnu11 -ffp-contract=off -fno-math-errno -I csrc -DWI_HAVE_X86_SIMD=1"
case "$isa" in
  avx2) flags="-O2 -mavx2 -mfma -mf16c" ;;
  avx512) flags="-O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl -DWI_CHECK_AVX512" ;;
  avx512-emulated) flags="-O1 -mavx2 -mfma -mf16c -w -I tests/c/emulated_avx512 -DWI_CHECK_AVX512" ;;
  *) echo "bf16_store_exhaustive: unknown ISA $isa" >&2; exit 2 ;;
esac
${CC:-gcc} $common $flags tools/bf16_store_exhaustive.c csrc/wi_kernel_scalar.c csrc/wi_params.c \
  -o "$out/bf16_store_exhaustive_$isa" -lm || exit 2
"$out/bf16_store_exhaustive_$isa" "$stride"
