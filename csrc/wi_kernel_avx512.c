/* AVX-512 (F, BW, DQ, VL) block kernels: the primitives of wi_simd_common.h
 * and wi_simd_loop.h on 16 lanes, and two kinds of this file only: bfloat16
 * by AVX512_BF16's vcvtne2ps2bf16, float32 by streaming stores. Compiled
 * with per-file flags (CMakeLists.txt) and only called after wi_dispatch.c
 * has checked the CPU and OS. Same bits as wi_kernel_scalar by construction
 * (see wi_simd_common.h) and by tests/test_isa_paths.py. */
#include <immintrin.h>
#include "wi_kernel_simd.h"
#include "wi_popcount.h"

/* ---- primitives for wi_simd_common.h ----------------------------------- */
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 mf;
typedef __m512d vd;
typedef __m512i vq;
typedef __mmask8 md;

WI_ALWAYS_INLINE vf vf_set1(float a) { return _mm512_set1_ps(a); }
WI_ALWAYS_INLINE vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
WI_ALWAYS_INLINE vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
WI_ALWAYS_INLINE vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
/* a * b + c and c - a * b, one rounding (fmaf, fma of the scalar path) */
WI_ALWAYS_INLINE vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
WI_ALWAYS_INLINE vf vf_fnmadd(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
WI_ALWAYS_INLINE vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
WI_ALWAYS_INLINE vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
WI_ALWAYS_INLINE vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
WI_ALWAYS_INLINE vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
WI_ALWAYS_INLINE vf vf_cvt_i32(vi a) { return _mm512_cvtepi32_ps(a); }
WI_ALWAYS_INLINE vi vf_bits(vf a) { return _mm512_castps_si512(a); }
WI_ALWAYS_INLINE vf vf_from_bits(vi a) { return _mm512_castsi512_ps(a); }
WI_ALWAYS_INLINE mf vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
WI_ALWAYS_INLINE mf vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
WI_ALWAYS_INLINE mf vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
WI_ALWAYS_INLINE mf vf_unord(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
WI_ALWAYS_INLINE vf vf_blend(mf m, vf a, vf b) { return _mm512_mask_blend_ps(m, a, b); }
WI_ALWAYS_INLINE mf mf_and(mf a, mf b) { return (mf)(a & b); }
WI_ALWAYS_INLINE mf mf_andnot(mf a, mf b) { return (mf)(~a & b); }
WI_ALWAYS_INLINE mf mf_all_lanes(void) { return (mf)0xffff; }
WI_ALWAYS_INLINE int mf_any(mf m) { return m != 0; }
WI_ALWAYS_INLINE int mf_all(mf m) { return m == (mf)0xffff; }
WI_ALWAYS_INLINE vi vi_set1(uint32_t a) { return _mm512_set1_epi32((int)a); }
WI_ALWAYS_INLINE vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
WI_ALWAYS_INLINE vi vi_sub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
WI_ALWAYS_INLINE vi vi_and(vi a, vi b) { return _mm512_and_si512(a, b); }
WI_ALWAYS_INLINE vi vi_or(vi a, vi b) { return _mm512_or_si512(a, b); }
WI_ALWAYS_INLINE vi vi_xor(vi a, vi b) { return _mm512_xor_si512(a, b); }
#define vi_srl(a, n) _mm512_srli_epi32((a), (n))
#define vi_sll(a, n) _mm512_slli_epi32((a), (n))
WI_ALWAYS_INLINE vi vi_blend(mf m, vi a, vi b) { return _mm512_mask_blend_epi32(m, a, b); }
WI_ALWAYS_INLINE mf mf_lowbit(vi n) { return _mm512_test_epi32_mask(n, _mm512_set1_epi32(1)); }

WI_ALWAYS_INLINE vd vd_set1(double a) { return _mm512_set1_pd(a); }
WI_ALWAYS_INLINE vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
WI_ALWAYS_INLINE vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
WI_ALWAYS_INLINE vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
WI_ALWAYS_INLINE vd vd_fmadd(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
WI_ALWAYS_INLINE vd vd_fnmadd(vd a, vd b, vd c) { return _mm512_fnmadd_pd(a, b, c); }
WI_ALWAYS_INLINE vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
WI_ALWAYS_INLINE vd vd_sqrt(vd a) { return _mm512_sqrt_pd(a); }
WI_ALWAYS_INLINE vd vd_min(vd a, vd b) { return _mm512_min_pd(a, b); }
WI_ALWAYS_INLINE vd vd_max(vd a, vd b) { return _mm512_max_pd(a, b); }
WI_ALWAYS_INLINE vq vd_bits(vd a) { return _mm512_castpd_si512(a); }
WI_ALWAYS_INLINE vd vd_from_bits(vq a) { return _mm512_castsi512_pd(a); }
WI_ALWAYS_INLINE md vd_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
WI_ALWAYS_INLINE md vd_le(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
WI_ALWAYS_INLINE md vd_gt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
WI_ALWAYS_INLINE vd vd_blend(md m, vd a, vd b) { return _mm512_mask_blend_pd(m, a, b); }
WI_ALWAYS_INLINE md md_and(md a, md b) { return (md)(a & b); }
WI_ALWAYS_INLINE md md_andnot(md a, md b) { return (md)(~a & b); }
WI_ALWAYS_INLINE md md_all_lanes(void) { return (md)0xff; }
WI_ALWAYS_INLINE int md_any(md m) { return m != 0; }
WI_ALWAYS_INLINE int md_all(md m) { return m == (md)0xff; }
WI_ALWAYS_INLINE vq vq_set1(uint64_t a) { return _mm512_set1_epi64((long long)a); }
WI_ALWAYS_INLINE vq vq_add(vq a, vq b) { return _mm512_add_epi64(a, b); }
WI_ALWAYS_INLINE vq vq_sub(vq a, vq b) { return _mm512_sub_epi64(a, b); }
WI_ALWAYS_INLINE vq vq_and(vq a, vq b) { return _mm512_and_si512(a, b); }
WI_ALWAYS_INLINE vq vq_or(vq a, vq b) { return _mm512_or_si512(a, b); }
WI_ALWAYS_INLINE vq vq_xor(vq a, vq b) { return _mm512_xor_si512(a, b); }
#define vq_srl(a, n) _mm512_srli_epi64((a), (n))
#define vq_sll(a, n) _mm512_slli_epi64((a), (n))
WI_ALWAYS_INLINE vq vq_blend(md m, vq a, vq b) { return _mm512_mask_blend_epi64(m, a, b); }
WI_ALWAYS_INLINE md md_lowbit(vq n) { return _mm512_test_epi64_mask(n, _mm512_set1_epi64(1)); }
/* Exact: every value converted here has at most 53 significant bits. */
WI_ALWAYS_INLINE vd vd_cvt_u53(vq a) { return _mm512_cvtepu64_pd(a); }
WI_ALWAYS_INLINE vd vd_cvt_i51(vq a) { return _mm512_cvtepi64_pd(a); }

/* for the gathered truncated normal */
#define WI_VF_LANES 16
#define WI_VD_LANES 8
WI_ALWAYS_INLINE int mf_count(mf m) { return wi_popcount16(m); }
WI_ALWAYS_INLINE int md_count(md m) { return wi_popcount16(m); }
WI_ALWAYS_INLINE mf mf_from_sign(vi a) { return _mm512_movepi32_mask(a); }
WI_ALWAYS_INLINE md md_from_sign(vq a) { return _mm512_movepi64_mask(a); }
WI_ALWAYS_INLINE void vi_compress_store(float *dst, mf m, vi a)
{
    _mm512_storeu_si512(dst, _mm512_maskz_compress_epi32(m, a));
}
WI_ALWAYS_INLINE vf vf_expand_load(vf z, mf m, const float *src)
{
    return _mm512_mask_expand_ps(z, m, _mm512_loadu_ps(src));
}
WI_ALWAYS_INLINE void vq_compress_store(double *dst, md m, vq a)
{
    _mm512_storeu_si512(dst, _mm512_maskz_compress_epi64(m, a));
}
WI_ALWAYS_INLINE vd vd_expand_load(vd z, md m, const double *src)
{
    return _mm512_mask_expand_pd(z, m, _mm512_loadu_pd(src));
}

#include "wi_simd_common.h"

/* ---- primitives for wi_simd_loop.h -------------------------------------- */

/* 32 registers: key words kept broadcast (memory operands of vpternlogd). */
typedef vi wi_vkey;
WI_ALWAYS_INLINE wi_vkey wi_vkey_make(uint32_t u) { return _mm512_set1_epi32((int)u); }
WI_ALWAYS_INLINE vi wi_vkey_get(wi_vkey k) { return k; }

/* hi and lo words of m * x in every 32-bit lane: the high words from the
 * 64-bit products of even lanes (in place) and odd lanes (shifted down),
 * put back in place; the low words from a plain 32-bit multiply (cheaper
 * here than a second merge, which costs a register copy). */
WI_ALWAYS_INLINE void vi_mulhilo(vi x, vi m, vi *hi, vi *lo)
{
    vi even = _mm512_mul_epu32(x, m);
    vi odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    *hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_DDBB);
    *lo = _mm512_mullo_epi32(x, m);
}

WI_ALWAYS_INLINE vi vi_xor3(vi a, vi b, vi c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }

WI_ALWAYS_INLINE void wi_v_counter(uint64_t b, vi *c0, vi *c1)
{
    const vi iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    vi blo = _mm512_set1_epi32((int)(uint32_t)b);
    *c0 = _mm512_add_epi32(blo, iota);
    *c1 = _mm512_set1_epi32((int)(uint32_t)(b >> 32));
    *c1 = _mm512_mask_add_epi32(*c1, _mm512_cmplt_epu32_mask(*c0, blo), *c1, _mm512_set1_epi32(1));
}

WI_ALWAYS_INLINE void wi_v_pairs(const vi w[4], vq x[4])
{
    x[0] = _mm512_unpacklo_epi32(w[0], w[1]);
    x[1] = _mm512_unpacklo_epi32(w[2], w[3]);
    x[2] = _mm512_unpackhi_epi32(w[0], w[1]);
    x[3] = _mm512_unpackhi_epi32(w[2], w[3]);
}

/* x[j] holds word j of blocks 0..15 -> 64 elements 4b + j in order, in two
 * rounds of two-source permutes (8 instead of 16 unpacks and shuffles). */
WI_ALWAYS_INLINE void wi_transpose4x16(const vi x[4], vi o[4])
{
    /* pairs: element 2b + j of lo (blocks 0..7) / hi (8..15) is word j of block b */
    const vi pair_lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const vi pair_hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    /* quads: blocks 0..3 (or 4..7) of a pair of words 0,1 and a pair of words 2,3 */
    const vi quad_lo = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const vi quad_hi = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    vi a_lo = _mm512_permutex2var_epi32(x[0], pair_lo, x[1]);
    vi a_hi = _mm512_permutex2var_epi32(x[0], pair_hi, x[1]);
    vi b_lo = _mm512_permutex2var_epi32(x[2], pair_lo, x[3]);
    vi b_hi = _mm512_permutex2var_epi32(x[2], pair_hi, x[3]);
    o[0] = _mm512_permutex2var_epi32(a_lo, quad_lo, b_lo);
    o[1] = _mm512_permutex2var_epi32(a_lo, quad_hi, b_lo);
    o[2] = _mm512_permutex2var_epi32(a_hi, quad_lo, b_hi);
    o[3] = _mm512_permutex2var_epi32(a_hi, quad_hi, b_hi);
}

WI_ALWAYS_INLINE void wi_store_u32(void *out, const vi x[4])
{
    vi o[4];
    wi_transpose4x16(x, o);
    for (int j = 0; j < 4; j++) _mm512_storeu_si512((char *)out + 64 * j, o[j]);
}

/* bfloat16 narrowed by AVX512_BF16's vcvtne2ps2bf16, chosen by the
 * dispatcher only when the CPU has it. */
#define WI_KIND_BF16_NE WI_KIND_VARIANT(WI_OUT_BF16, 1)

/* float32 written with non-temporal stores (64-byte aligned output only):
 * the streaming kernels of large fills (wi_fill.c). */
#define WI_KIND_F32_NT WI_KIND_VARIANT(WI_OUT_F32, 2)

#if !defined(SIMDE_VERSION)
/* vcvtne2ps2bf16: lo's 16 lanes into the low half, hi's into the high half,
 * each rounded to nearest even, NaN quieted as (bits >> 16) | 0x40: the
 * scalar wi_f32_to_bf16 for every float32 but denormals, which it flushes to
 * zero. Inline assembly, so the file needs no -mavx512bf16 (which would let
 * the compiler use the instructions anywhere in it). */
WI_ALWAYS_INLINE vi wi_cvtne2ps_bf16(vf hi, vf lo)
{
    vi r;
    __asm__("vcvtne2ps2bf16 %2, %1, %0" : "=v"(r) : "v"(hi), "v"(lo));
    return r;
}

/* 32 floats a, b -> 32 bf16 at out, as wi_f32_to_bf16: any denormal among
 * them (vfpclassps, rare in fills) sends the pair to the integer rounding. */
WI_ALWAYS_INLINE void wi_store_bf16_pair(void *out, vf a, vf b)
{
    if (__builtin_expect((_mm512_fpclass_ps_mask(a, 0x20) | _mm512_fpclass_ps_mask(b, 0x20)) == 0, 1)) {
        _mm512_storeu_si512(out, wi_cvtne2ps_bf16(b, a));
    } else {
        _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi32_epi16(wi_v_bf16_bits(a)));
        _mm256_storeu_si256((__m256i *)((char *)out + 32), _mm512_cvtepi32_epi16(wi_v_bf16_bits(b)));
    }
}
#endif

/* wi_v_bf16_hi_not_nan with the increment 0x7fff + lsb picked by a mask
 * (a test and a blend instead of a shift, an and and an add). */
WI_ALWAYS_INLINE vi wi_bf16_hi_not_nan(vi bits)
{
    __mmask16 odd = _mm512_test_epi32_mask(bits, _mm512_set1_epi32(0x10000));
    return _mm512_add_epi32(bits, _mm512_mask_blend_epi32(odd, _mm512_set1_epi32(0x7fff), _mm512_set1_epi32(0x8000)));
}

/* wi_v_bf16_hi: NaN lanes take bits | 0x00400000 by a masked or. */
WI_ALWAYS_INLINE vi wi_bf16_hi(vf x)
{
    vi bits = _mm512_castps_si512(x);
    return _mm512_mask_or_epi32(wi_bf16_hi_not_nan(bits), _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), bits,
                                _mm512_set1_epi32(0x00400000));
}

/* r[j] lane b: element 4b + j rounded, in its high half -> 64 bfloat16 in
 * element order by two-source permutes: the high words of r[0], r[1] (and
 * of r[2], r[3]) interleaved, then their dwords interleaved. */
WI_ALWAYS_INLINE void wi_store_bf16_hi(void *out, const vi r[4])
{
    /* word 2b: the high half of lane b of the first source, 2b + 1: of the second */
    const vi odd_words = _mm512_setr_epi32(
        0x00210001, 0x00230003, 0x00250005, 0x00270007, 0x00290009, 0x002b000b, 0x002d000d, 0x002f000f,
        0x00310011, 0x00330013, 0x00350015, 0x00370017, 0x00390019, 0x003b001b, 0x003d001d, 0x003f001f);
    /* dword 2b + i: dword b (first 64 bytes) or 8 + b (next 64) of source i */
    const vi pair_lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const vi pair_hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    /* dword b of p01: elements 4b, 4b + 1; of p23: 4b + 2, 4b + 3 */
    vi p01 = _mm512_permutex2var_epi16(r[0], odd_words, r[1]);
    vi p23 = _mm512_permutex2var_epi16(r[2], odd_words, r[3]);
    _mm512_storeu_si512(out, _mm512_permutex2var_epi32(p01, pair_lo, p23));
    _mm512_storeu_si512((char *)out + 64, _mm512_permutex2var_epi32(p01, pair_hi, p23));
}

/* Whether neither mask has a lane set: one kortestw (SIMDe has no
 * intrinsic for it; there the plain or). */
WI_ALWAYS_INLINE int wi_none_of_two(mf a, mf b)
{
#if defined(SIMDE_VERSION)
    return (mf)(a | b) == 0;
#else
    return _kortestz_mask16_u8(a, b);
#endif
}

/* v[j] lane b: element 4b + j -> 64 bfloat16 in element order, by the
 * integer rounding (no AVX512_BF16): each float rounded in place, then
 * gathered, with no float32 transpose first. The NaN guard runs only when
 * one of the 64 values is NaN (rare in fills: infinite intermediates only);
 * each branch stores on its own, so the fast one keeps its registers. */
WI_ALWAYS_INLINE void wi_store_bf16(void *out, const vf v[4])
{
    vi r[4];
    if (__builtin_expect(wi_none_of_two(_mm512_cmp_ps_mask(v[0], v[1], _CMP_UNORD_Q),
                                        _mm512_cmp_ps_mask(v[2], v[3], _CMP_UNORD_Q)), 1)) {
        for (int j = 0; j < 4; j++) r[j] = wi_bf16_hi_not_nan(_mm512_castps_si512(v[j]));
        wi_store_bf16_hi(out, r);
    } else {
        for (int j = 0; j < 4; j++) r[j] = wi_bf16_hi(v[j]);
        wi_store_bf16_hi(out, r);
    }
}

WI_ALWAYS_INLINE void wi_store_f32(void *out, const vf v[4], int kind)
{
    if (kind == WI_OUT_BF16) {
        wi_store_bf16(out, v);
        return;
    }
    vi x[4], o[4];
    for (int j = 0; j < 4; j++) x[j] = _mm512_castps_si512(v[j]);
    wi_transpose4x16(x, o);
#if !defined(SIMDE_VERSION)
    if (kind == WI_KIND_BF16_NE) {
        for (int j = 0; j < 4; j += 2)
            wi_store_bf16_pair((char *)out + 32 * j, _mm512_castsi512_ps(o[j]), _mm512_castsi512_ps(o[j + 1]));
        return;
    }
#endif
    for (int j = 0; j < 4; j++) {
        vf f = _mm512_castsi512_ps(o[j]);
        if (kind == WI_OUT_F32) {
            _mm512_storeu_ps((char *)out + 64 * j, f);
        } else if (kind == WI_KIND_F32_NT) {
            _mm512_stream_ps((float *)((char *)out + 64 * j), f);
        } else if (kind == WI_OUT_F16) {
            __m256i h = _mm512_cvtps_ph(wi_v_f16_prepare(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm256_storeu_si256((__m256i *)((char *)out + 32 * j), h);
        }
    }
}

/* y[0], y[1]: elements 2b, 2b + 1 for blocks b = {0,1,4,5,8,9,12,13}; y[2],
 * y[3] for {2,3,6,7,10,11,14,15}, as wi_v_pairs splits them. */
WI_ALWAYS_INLINE void wi_store_f64(void *out, const vd y[4])
{
    vi x[4];
    x[0] = _mm512_castpd_si512(_mm512_unpacklo_pd(y[0], y[1]));
    x[1] = _mm512_castpd_si512(_mm512_unpackhi_pd(y[0], y[1]));
    x[2] = _mm512_castpd_si512(_mm512_unpacklo_pd(y[2], y[3]));
    x[3] = _mm512_castpd_si512(_mm512_unpackhi_pd(y[2], y[3]));
    vi a0 = _mm512_shuffle_i32x4(x[0], x[1], 0x44), a1 = _mm512_shuffle_i32x4(x[0], x[1], 0xee);
    vi a2 = _mm512_shuffle_i32x4(x[2], x[3], 0x44), a3 = _mm512_shuffle_i32x4(x[2], x[3], 0xee);
    _mm512_storeu_si512((char *)out + 0, _mm512_shuffle_i32x4(a0, a2, 0x88));
    _mm512_storeu_si512((char *)out + 64, _mm512_shuffle_i32x4(a0, a2, 0xdd));
    _mm512_storeu_si512((char *)out + 128, _mm512_shuffle_i32x4(a1, a3, 0x88));
    _mm512_storeu_si512((char *)out + 192, _mm512_shuffle_i32x4(a1, a3, 0xdd));
}

#include "wi_simd_loop.h"

WI_DEFINE_KERNELS(wi_avx512)
WI_DEFINE_KIND_KERNELS(wi_avx512nt_f32, WI_KIND_F32_NT)
#if !defined(SIMDE_VERSION)
WI_DEFINE_KIND_KERNELS(wi_avx512bf16_bf16, WI_KIND_BF16_NE)
#endif

wi_block_kernel wi_kernel_avx512_for(const wi_params *p, int bf16)
{
#if !defined(SIMDE_VERSION)
    static const wi_block_kernel with_bf16[3] = WI_KIND_ROW(wi_avx512bf16_bf16);
    if (bf16 && p->out == WI_OUT_BF16 && wi_v_dist_index(p) >= 0) return with_bf16[wi_v_dist_index(p)];
#else
    (void)bf16;
#endif
    return wi_v_kernel_for(p, wi_avx512_raw, wi_avx512_table);
}

wi_block_kernel wi_kernel_avx512_nt_for(const wi_params *p)
{
    static const wi_block_kernel f32[3] = WI_KIND_ROW(wi_avx512nt_f32);
    if (p->out != WI_OUT_F32 || wi_v_dist_index(p) < 0) return NULL;
    return f32[wi_v_dist_index(p)];
}
