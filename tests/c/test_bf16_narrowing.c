/* The AVX512_BF16 narrowing of the AVX-512 kernels (wi_store_bf16_pair)
 * against the scalar wi_f32_to_bf16 on every float32 bit pattern: denormals
 * (which vcvtne2ps2bf16 flushes, so the pair falls back to the integer
 * rounding), infinities, NaNs with every payload, and the rounding ties.
 * Patterns go through in runs of 32 consecutive values, and a second pass
 * mixes one denormal into otherwise normal pairs. Needs a CPU with
 * AVX-512 F/BW/DQ/VL and AVX512_BF16; tests/test_bf16_narrowing.py builds
 * and runs it. Exit status 0 when every pattern matches. */
#include <stdio.h>
#include <string.h>
#include "../../csrc/wi_kernel_avx512.c"

static uint64_t check(const uint32_t in[32])
{
    float f[32];
    uint16_t got[32];
    memcpy(f, in, sizeof f);
    wi_store_bf16_pair(got, _mm512_loadu_ps(f), _mm512_loadu_ps(f + 16));
    uint64_t bad = 0;
    for (int i = 0; i < 32; i++) bad += got[i] != wi_f32_to_bf16(f[i]);
    return bad;
}

int main(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("avx512dq")) {
        printf("skip: no AVX512_BF16\n");
        return 77;
    }
    uint64_t bad = 0, pairs = 0;
    uint32_t in[32];
    for (uint64_t x = 0; x < (UINT64_C(1) << 32); x += 32) {
        for (int i = 0; i < 32; i++) in[i] = (uint32_t)x + (uint32_t)i;
        bad += check(in);
        pairs++;
    }
    /* One denormal (lane i) among normal values of both signs. */
    for (uint32_t d = 1; d < (UINT32_C(1) << 23); d = d * 3 + 1) {
        for (int lane = 0; lane < 32; lane++) {
            for (int i = 0; i < 32; i++) in[i] = UINT32_C(0x3f800000) + (uint32_t)i * 0x8001u;
            in[lane] = d | (lane & 1 ? UINT32_C(0x80000000) : 0);
            bad += check(in);
            pairs++;
        }
    }
    printf("bf16 narrowing: %llu runs of 32, %llu mismatches\n",
           (unsigned long long)pairs, (unsigned long long)bad);
    return bad != 0;
}
