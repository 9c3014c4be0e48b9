#!/usr/bin/env bash
# Check the AVX-512 kernels on a CPU without AVX-512: build
# csrc/wi_kernel_avx512.c against SIMDe's portable AVX-512 (Debian package
# libsimde-dev, through tests/c/emulated_avx512/immintrin.h) and compare it
# with the scalar kernel bit for bit (tests/c/test_kernel_equal.c).
# Same flags as the core (no FMA contraction; -mfma so that SIMDe builds the
# fused intrinsics from native 256-bit FMA, one rounding as the scalar fma); -O1 keeps the SIMDe compile
# under a minute. EXTRA_CFLAGS="-fsanitize=address,undefined" runs it under
# the sanitizers. Exit status: 0 all equal, 1 a difference, 2 cannot build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/include/simde/x86/avx512.h ]; then
  echo "avx512_emulated: SIMDe headers missing (apt-get install libsimde-dev)" >&2
  exit 2
fi
out=${1:-build/avx512-emulated}
mkdir -p "$out"
${CC:-gcc} -O1 -std=gnu11 -ffp-contract=off -fno-math-errno -mavx2 -mfma -mf16c -w ${EXTRA_CFLAGS:-} \
  -I tests/c/emulated_avx512 -I csrc -DWI_HAVE_X86_SIMD=1 \
  csrc/wi_kernel_avx512.c csrc/wi_kernel_avx2.c csrc/wi_kernel_scalar.c csrc/wi_params.c \
  csrc/wi_fill.c csrc/wi_pool.c csrc/wi_dispatch.c tests/c/test_kernel_equal.c \
  -o "$out/test_kernel_equal" -lm -lpthread || exit 2
"$out/test_kernel_equal"
