/* Test-only stand-in for <immintrin.h>: SIMDe's portable AVX-512 (Debian's
 * libsimde-dev) under the native names, so that csrc/wi_kernel_avx512.c
 * compiles and runs, slowly, on a CPU without AVX-512 (tools/avx512_emulated.sh,
 * tests/test_isa_paths.py). The few intrinsics SIMDe 0.7 lacks are written
 * out below, lane by lane, from Intel's pseudo-code. Never used in a build
 * of the package. */
#ifndef WI_EMULATED_IMMINTRIN_H
#define WI_EMULATED_IMMINTRIN_H

#include_next <immintrin.h>   /* the real one: SSE to AVX2, F16C native */
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>
#include <stdint.h>
#include <string.h>

#ifndef _MM_PERM_DDBB
#define _MM_PERM_DDBB 0xF5   /* (D, D, B, B) from the top: 3, 3, 1, 1 */
#endif

#define WI_EMU static inline __attribute__((unused))

/* bit i: (uint32) a[i] < b[i] */
WI_EMU simde__mmask16 wi_emu_cmplt_epu32_mask(simde__m512i a, simde__m512i b)
{
    uint32_t x[16], y[16];
    memcpy(x, &a, 64); memcpy(y, &b, 64);
    simde__mmask16 m = 0;
    for (int i = 0; i < 16; i++) if (x[i] < y[i]) m |= (simde__mmask16)(1u << i);
    return m;
}
#define _mm512_cmplt_epu32_mask(a, b) wi_emu_cmplt_epu32_mask((a), (b))

/* each int32 truncated to its low 16 bits */
WI_EMU simde__m256i wi_emu_cvtepi32_epi16(simde__m512i a)
{
    int32_t x[16]; int16_t r[16];
    memcpy(x, &a, 64);
    for (int i = 0; i < 16; i++) r[i] = (int16_t)(uint16_t)(uint32_t)x[i];
    simde__m256i out; memcpy(&out, r, 32);
    return out;
}
#define _mm512_cvtepi32_epi16(a) wi_emu_cvtepi32_epi16(a)

/* conversions, rounded to nearest (the MXCSR default) as C casts are */
WI_EMU simde__m512 wi_emu_cvtepi32_ps(simde__m512i a)
{
    int32_t x[16]; float r[16];
    memcpy(x, &a, 64);
    for (int i = 0; i < 16; i++) r[i] = (float)x[i];
    simde__m512 out; memcpy(&out, r, 64);
    return out;
}
#define _mm512_cvtepi32_ps(a) wi_emu_cvtepi32_ps(a)

WI_EMU simde__m512d wi_emu_cvtepi64_pd(simde__m512i a)
{
    int64_t x[8]; double r[8];
    memcpy(x, &a, 64);
    for (int i = 0; i < 8; i++) r[i] = (double)x[i];
    simde__m512d out; memcpy(&out, r, 64);
    return out;
}
#define _mm512_cvtepi64_pd(a) wi_emu_cvtepi64_pd(a)

WI_EMU simde__m512d wi_emu_cvtepu64_pd(simde__m512i a)
{
    uint64_t x[8]; double r[8];
    memcpy(x, &a, 64);
    for (int i = 0; i < 8; i++) r[i] = (double)x[i];
    simde__m512d out; memcpy(&out, r, 64);
    return out;
}
#define _mm512_cvtepu64_pd(a) wi_emu_cvtepu64_pd(a)

/* float32 -> float16 by halves through F16C (SIMDe uses the real
 * instruction when compiled with -mf16c) */
WI_EMU simde__m256i wi_emu_cvtps_ph(simde__m512 a, int rounding)
{
    float x[16];
    memcpy(x, &a, 64);
    simde__m256 lo, hi;
    memcpy(&lo, x, 32); memcpy(&hi, x + 8, 32);
    simde__m128i l = simde_mm256_cvtps_ph(lo, rounding), h = simde_mm256_cvtps_ph(hi, rounding);
    simde__m256i out;
    memcpy(&out, &l, 16); memcpy((char *)&out + 16, &h, 16);
    return out;
}
#define _mm512_cvtps_ph(a, r) wi_emu_cvtps_ph((a), (r))

/* lanes set in k take a's elements in order from its start; others src */
#define WI_EMU_EXPAND(name, vec, elem, n)                                     \
    WI_EMU vec name(vec src, uint32_t k, vec a)                               \
    {                                                                         \
        elem s[n], x[n];                                                      \
        memcpy(s, &src, 64); memcpy(x, &a, 64);                               \
        int m = 0;                                                            \
        for (int i = 0; i < n; i++) if (k >> i & 1u) s[i] = x[m++];           \
        vec out; memcpy(&out, s, 64);                                         \
        return out;                                                           \
    }
WI_EMU_EXPAND(wi_emu_mask_expand_ps, simde__m512, float, 16)
WI_EMU_EXPAND(wi_emu_mask_expand_pd, simde__m512d, double, 8)
#define _mm512_mask_expand_ps(src, k, a) wi_emu_mask_expand_ps((src), (uint32_t)(k), (a))
#define _mm512_mask_expand_pd(src, k, a) wi_emu_mask_expand_pd((src), (uint32_t)(k), (a))

/* within each 128-bit lane: element (imm >> 2j) & 3 of a, where k is set */
WI_EMU simde__m512i wi_emu_mask_shuffle_epi32(simde__m512i src, simde__mmask16 k, simde__m512i a,
                                              int imm)
{
    uint32_t s[16], x[16];
    memcpy(s, &src, 64); memcpy(x, &a, 64);
    for (int i = 0; i < 16; i++)
        if (k >> i & 1u) s[i] = x[(i & ~3) + ((imm >> (2 * (i & 3))) & 3)];
    simde__m512i out; memcpy(&out, s, 64);
    return out;
}
#define _mm512_mask_shuffle_epi32(src, k, a, imm) wi_emu_mask_shuffle_epi32((src), (k), (a), (imm))

/* a streaming store is a store (the non-temporal hint changes no value) */
WI_EMU void wi_emu_stream_ps(float *p, simde__m512 a) { memcpy(p, &a, 64); }
#define _mm512_stream_ps(p, a) wi_emu_stream_ps((p), (a))

#endif
