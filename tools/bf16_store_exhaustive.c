/* The SIMD bfloat16 store (wi_store_f32 with WI_OUT_BF16) against the
 * scalar wi_f32_to_bf16 on every float32 bit pattern, in element order.
 * Pass 1 puts 4 * WI_VF_LANES consecutive patterns into one store's
 * elements, so every group without a NaN takes the unguarded rounding and
 * the groups holding NaNs (every payload, both signs) the guarded one;
 * pass 2 replaces one element of each group (a different one each time) by
 * a NaN, so every other pattern also goes through the guarded rounding.
 * Built by tools/bf16_store_exhaustive.sh for the AVX2 kernel (natively) or
 * the AVX-512 one (-DWI_CHECK_AVX512, natively or through SIMDe). An
 * argument s > 1 checks every s-th group only (a quick sample for the
 * tests). Exit status 0 when every element matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef WI_CHECK_AVX512
#include "wi_kernel_avx512.c"
#define WI_CHECK_ISA "avx512"
#else
#include "wi_kernel_avx2.c"
#define WI_CHECK_ISA "avx2"
#endif

enum { L = WI_VF_LANES, N = 4 * L };
static uint64_t mismatches;

/* in[e] for elements e = 4b + j -> v[j] lane b, stored, compared. */
static uint64_t check(const uint32_t in[N])
{
    float lanes[4][L];
    vf v[4];
    uint16_t got[N];
    for (int b = 0; b < L; b++)
        for (int j = 0; j < 4; j++) memcpy(&lanes[j][b], &in[4 * b + j], sizeof(float));
    for (int j = 0; j < 4; j++) memcpy(&v[j], lanes[j], sizeof v[j]);
    wi_store_f32(got, v, WI_OUT_BF16);
    uint64_t bad = 0;
    for (int e = 0; e < N; e++) {
        float f;
        memcpy(&f, &in[e], sizeof f);
        uint16_t want = wi_f32_to_bf16(f);
        if (got[e] != want) {
            if (mismatches++ == 0) printf("first mismatch: 0x%08x -> 0x%04x, want 0x%04x\n", in[e], got[e], want);
            bad++;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    const uint64_t stride = argc > 1 && strtoull(argv[1], NULL, 10) > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint64_t bad = 0, groups = 0;
    uint32_t in[N];
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t x = 0; x < (UINT64_C(1) << 32); x += N * stride) {
            for (int e = 0; e < N; e++) in[e] = (uint32_t)x + (uint32_t)e;
            if (pass == 1) in[(x / N) % N] = UINT32_C(0x7fc00000) | (uint32_t)(x >> 12);
            bad += check(in);
            groups++;
        }
    }
    printf("bf16 store (%s): %llu groups of %d (every %llu-th), %llu mismatches\n", WI_CHECK_ISA,
           (unsigned long long)groups, N, (unsigned long long)stride, (unsigned long long)bad);
    return bad != 0;
}
