/* AVX-512 (F, BW, DQ, VL) block kernels. A step runs Philox on 2 x 16
 * blocks (one block per 32-bit lane, the two groups' rounds interleaved),
 * applies the transforms of wi_simd_common.h, and transposes the words back
 * into element order; truncated normals evaluate the inverse CDF's tail on
 * gathered lanes (wi_simd_common.h). Compiled with per-file flags
 * (CMakeLists.txt) and only called after wi_dispatch.c has checked the CPU
 * and OS. Same bits as wi_kernel_scalar by construction (see
 * wi_simd_common.h) and by tests/test_isa_paths.py. */
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

#define WI_ALWAYS_INLINE static inline __attribute__((always_inline))

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

/* everything inlined into the kernels: constants stay in registers */
#define WI_SIMD_INLINE WI_ALWAYS_INLINE
#include "wi_simd_common.h"

/* ---- Philox4x32-10 on 16 blocks ----------------------------------------- */
#define WI_LANES 16

/* hi and lo words of m * x in every 32-bit lane: the high words from the
 * 64-bit products of even lanes (in place) and odd lanes (shifted down),
 * put back in place; the low words from a plain 32-bit multiply (cheaper
 * here than a second merge, which costs a register copy). */
WI_ALWAYS_INLINE void wi_mulhilo16(vi x, vi m, vi *hi, vi *lo)
{
    vi even = _mm512_mul_epu32(x, m);
    vi odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    *hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_DDBB);
    *lo = _mm512_mullo_epi32(x, m);
}

typedef struct {
    vi k0[10], k1[10];   /* round keys, broadcast */
    vi s0, s1;           /* stream words (counter words 2 and 3), broadcast */
} wi_philox_keys;

static inline void wi_philox_keys_make(const wi_params *p, wi_philox_keys *k)
{
    wi_key key = p->key;
    for (int r = 0; r < 10; r++) {
        if (r > 0) key = wi_philox_bumpkey(key);
        k->k0[r] = _mm512_set1_epi32((int)key.v[0]);
        k->k1[r] = _mm512_set1_epi32((int)key.v[1]);
    }
    k->s0 = _mm512_set1_epi32((int)(uint32_t)p->stream);
    k->s1 = _mm512_set1_epi32((int)(uint32_t)(p->stream >> 32));
}

/* Words of ng groups of 16 blocks from block b: w[4g + j], lane l = word j
 * of block b + 16g + l, as wi_stream_block. The groups' rounds are
 * interleaved: one group's dependency chain alone leaves the multipliers
 * idle. */
WI_ALWAYS_INLINE void wi_philox16(const wi_philox_keys *k, uint64_t b, vi *w, const int ng)
{
    const vi m0 = _mm512_set1_epi32((int)WI_PHILOX_M0), m1 = _mm512_set1_epi32((int)WI_PHILOX_M1);
    const vi iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    vi c0[2], c1[2], c2[2], c3[2];
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        uint64_t bg = b + 16 * (uint64_t)g;
        vi blo = _mm512_set1_epi32((int)(uint32_t)bg);
        c0[g] = _mm512_add_epi32(blo, iota);
        c1[g] = _mm512_set1_epi32((int)(uint32_t)(bg >> 32));
        c1[g] = _mm512_mask_add_epi32(c1[g], _mm512_cmplt_epu32_mask(c0[g], blo), c1[g], _mm512_set1_epi32(1));
        c2[g] = k->s0;
        c3[g] = k->s1;
    }
#pragma GCC unroll 10
    for (int r = 0; r < 10; r++) {
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) {
            vi hi0, lo0, hi1, lo1;
            wi_mulhilo16(c0[g], m0, &hi0, &lo0);
            wi_mulhilo16(c2[g], m1, &hi1, &lo1);
            c0[g] = _mm512_ternarylogic_epi32(hi1, c1[g], k->k0[r], 0x96);
            c2[g] = _mm512_ternarylogic_epi32(hi0, c3[g], k->k1[r], 0x96);
            c1[g] = lo1;
            c3[g] = lo0;
        }
    }
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        w[4 * g] = c0[g]; w[4 * g + 1] = c1[g]; w[4 * g + 2] = c2[g]; w[4 * g + 3] = c3[g];
    }
}

/* ---- element order ------------------------------------------------------ */

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

/* The bf16 output type narrowed by AVX512_BF16's vcvtne2ps2bf16: an internal
 * kind of this file (wi_kind_out maps it back), chosen by the dispatcher only
 * when the CPU has AVX512_BF16. */
#define WI_KIND_BF16_NE 16

/* float32 written with non-temporal stores (64-byte aligned output only):
 * the streaming kernels of large fills (wi_fill.c). */
#define WI_KIND_F32_NT 17

WI_ALWAYS_INLINE int wi_kind_out(int kind)
{
    return kind == WI_KIND_BF16_NE ? WI_OUT_BF16 : kind == WI_KIND_F32_NT ? WI_OUT_F32 : kind;
}

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

WI_ALWAYS_INLINE void wi_store_f32(void *out, const vf v[4], int kind)
{
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
        } else {
            __m256i h = _mm512_cvtepi32_epi16(wi_v_bf16_bits(f));
            _mm256_storeu_si256((__m256i *)((char *)out + 32 * j), h);
        }
    }
}

/* y0[.], y1[.]: elements 2b, 2b + 1 for blocks b = {0,1,4,5,8,9,12,13} (a)
 * and {2,3,6,7,10,11,14,15} (b), as the 64-bit splits below produce. */
WI_ALWAYS_INLINE void wi_store_f64(void *out, vd ya0, vd ya1, vd yb0, vd yb1)
{
    vi x[4];
    x[0] = _mm512_castpd_si512(_mm512_unpacklo_pd(ya0, ya1));
    x[1] = _mm512_castpd_si512(_mm512_unpackhi_pd(ya0, ya1));
    x[2] = _mm512_castpd_si512(_mm512_unpacklo_pd(yb0, yb1));
    x[3] = _mm512_castpd_si512(_mm512_unpackhi_pd(yb0, yb1));
    vi a0 = _mm512_shuffle_i32x4(x[0], x[1], 0x44), a1 = _mm512_shuffle_i32x4(x[0], x[1], 0xee);
    vi a2 = _mm512_shuffle_i32x4(x[2], x[3], 0x44), a3 = _mm512_shuffle_i32x4(x[2], x[3], 0xee);
    _mm512_storeu_si512((char *)out + 0, _mm512_shuffle_i32x4(a0, a2, 0x88));
    _mm512_storeu_si512((char *)out + 64, _mm512_shuffle_i32x4(a0, a2, 0xdd));
    _mm512_storeu_si512((char *)out + 128, _mm512_shuffle_i32x4(a1, a3, 0x88));
    _mm512_storeu_si512((char *)out + 192, _mm512_shuffle_i32x4(a1, a3, 0xdd));
}

/* ---- the kernels -------------------------------------------------------- */

/* ng groups of 16 blocks (words w[4g + j]) -> 64 ng elements at dst. */
WI_ALWAYS_INLINE void wi_avx512_groups(const wi_params *p, const wi_vconsts_f32 *kf,
                                       const wi_vconsts_f64 *kd, const vi *w, int ng,
                                       char *dst, const int dist, const int kind)
{
    const size_t group_bytes = 16 * (kind == WI_OUT_F64 ? 16 : 4 * wi_itemsize(wi_kind_out(kind)));
    (void)p;
    if (dist == WI_DIST_TRUNCNORM && kind == WI_OUT_F64) {
        vq x[8];
        vd y[8];
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) {
            const vi *wg = w + 4 * g;
            /* x0 = (w1 << 32) | w0 and x1 = (w3 << 32) | w2 of each block */
            x[4 * g + 0] = _mm512_unpacklo_epi32(wg[0], wg[1]);
            x[4 * g + 1] = _mm512_unpacklo_epi32(wg[2], wg[3]);
            x[4 * g + 2] = _mm512_unpackhi_epi32(wg[0], wg[1]);
            x[4 * g + 3] = _mm512_unpackhi_epi32(wg[2], wg[3]);
        }
        wi_v_tn_f64_gathered(kd, x, 4 * ng, y);
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++)
            wi_store_f64(dst + g * group_bytes, y[4 * g], y[4 * g + 1], y[4 * g + 2], y[4 * g + 3]);
        return;
    }
    if (dist == WI_DIST_TRUNCNORM) {
        vf v[8];
        wi_v_tn_f32_gathered(kf, w, 4 * ng, v);
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) wi_store_f32(dst + g * group_bytes, v + 4 * g, kind);
        return;
    }
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        const vi *x = w + 4 * g;
        char *o = dst + g * group_bytes;
        if (kind == WI_OUT_U32) {
            wi_store_u32(o, x);
        } else if (kind == WI_OUT_F64) {
            /* x0 = (w1 << 32) | w0 and x1 = (w3 << 32) | w2 of each block */
            vq x0a = _mm512_unpacklo_epi32(x[0], x[1]), x0b = _mm512_unpackhi_epi32(x[0], x[1]);
            vq x1a = _mm512_unpacklo_epi32(x[2], x[3]), x1b = _mm512_unpackhi_epi32(x[2], x[3]);
            vd ya0, ya1, yb0, yb1;
            if (dist == WI_DIST_UNIFORM) {
                ya0 = wi_v_uniform_f64(kd, x0a); ya1 = wi_v_uniform_f64(kd, x1a);
                yb0 = wi_v_uniform_f64(kd, x0b); yb1 = wi_v_uniform_f64(kd, x1b);
            } else if (dist == WI_DIST_NORMAL) {
                wi_v_normal_f64(kd, x0a, x1a, &ya0, &ya1);
                wi_v_normal_f64(kd, x0b, x1b, &yb0, &yb1);
            } else {
                ya0 = wi_v_truncnorm_f64(kd, x0a); ya1 = wi_v_truncnorm_f64(kd, x1a);
                yb0 = wi_v_truncnorm_f64(kd, x0b); yb1 = wi_v_truncnorm_f64(kd, x1b);
            }
            wi_store_f64(o, ya0, ya1, yb0, yb1);
        } else {
            vf v[4];
            if (dist == WI_DIST_UNIFORM) {
                for (int j = 0; j < 4; j++) v[j] = wi_v_uniform_f32(kf, x[j]);
            } else if (dist == WI_DIST_NORMAL) {
                wi_v_normal_f32(kf, x[0], x[1], &v[0], &v[1]);
                wi_v_normal_f32(kf, x[2], x[3], &v[2], &v[3]);
            } else {
                for (int j = 0; j < 4; j++) v[j] = wi_v_truncnorm_f32(kf, x[j]);
            }
            wi_store_f32(o, v, kind);
        }
    }
}

WI_ALWAYS_INLINE void wi_avx512_run(const wi_params *p, uint64_t block0, size_t nblocks,
                                    void *out, const int dist, const int kind)
{
    wi_philox_keys keys;
    wi_philox_keys_make(p, &keys);
    const size_t block_bytes = kind == WI_OUT_F64 ? 16 : 4 * wi_itemsize(wi_kind_out(kind));
    wi_vconsts_f32 kf;
    wi_vconsts_f64 kd;
    if (kind == WI_OUT_F64) kd = wi_vconsts_f64_make(&p->c);
    else if (kind != WI_OUT_U32) kf = wi_vconsts_f32_make(&p->c);
    char *dst = (char *)out;
    size_t i = 0;
    for (; i + 2 * WI_LANES <= nblocks; i += 2 * WI_LANES) {
        vi w[8];
        wi_philox16(&keys, block0 + i, w, 2);
        wi_avx512_groups(p, &kf, &kd, w, 2, dst + i * block_bytes, dist, kind);
    }
    if (i + WI_LANES <= nblocks) {
        vi w[4];
        wi_philox16(&keys, block0 + i, w, 1);
        wi_avx512_groups(p, &kf, &kd, w, 1, dst + i * block_bytes, dist, kind);
        i += WI_LANES;
    }
    if (i < nblocks) wi_kernel_scalar(p, block0 + i, nblocks - i, dst + i * block_bytes);
}

#define WI_DEFINE_KERNEL(name, dist, kind) \
    static void name(const wi_params *p, uint64_t block0, size_t nblocks, void *out) \
    { wi_avx512_run(p, block0, nblocks, out, dist, kind); }

WI_DEFINE_KERNEL(wi_avx512_raw, WI_DIST_RAW, WI_OUT_U32)
WI_DEFINE_KERNEL(wi_avx512_uniform_f32, WI_DIST_UNIFORM, WI_OUT_F32)
WI_DEFINE_KERNEL(wi_avx512_uniform_f64, WI_DIST_UNIFORM, WI_OUT_F64)
WI_DEFINE_KERNEL(wi_avx512_uniform_f16, WI_DIST_UNIFORM, WI_OUT_F16)
WI_DEFINE_KERNEL(wi_avx512_uniform_bf16, WI_DIST_UNIFORM, WI_OUT_BF16)
WI_DEFINE_KERNEL(wi_avx512_normal_f32, WI_DIST_NORMAL, WI_OUT_F32)
WI_DEFINE_KERNEL(wi_avx512_normal_f64, WI_DIST_NORMAL, WI_OUT_F64)
WI_DEFINE_KERNEL(wi_avx512_normal_f16, WI_DIST_NORMAL, WI_OUT_F16)
WI_DEFINE_KERNEL(wi_avx512_normal_bf16, WI_DIST_NORMAL, WI_OUT_BF16)
WI_DEFINE_KERNEL(wi_avx512_truncnorm_f32, WI_DIST_TRUNCNORM, WI_OUT_F32)
WI_DEFINE_KERNEL(wi_avx512_truncnorm_f64, WI_DIST_TRUNCNORM, WI_OUT_F64)
WI_DEFINE_KERNEL(wi_avx512_truncnorm_f16, WI_DIST_TRUNCNORM, WI_OUT_F16)
WI_DEFINE_KERNEL(wi_avx512_truncnorm_bf16, WI_DIST_TRUNCNORM, WI_OUT_BF16)
WI_DEFINE_KERNEL(wi_avx512nt_uniform_f32, WI_DIST_UNIFORM, WI_KIND_F32_NT)
WI_DEFINE_KERNEL(wi_avx512nt_normal_f32, WI_DIST_NORMAL, WI_KIND_F32_NT)
WI_DEFINE_KERNEL(wi_avx512nt_truncnorm_f32, WI_DIST_TRUNCNORM, WI_KIND_F32_NT)
#if !defined(SIMDE_VERSION)
WI_DEFINE_KERNEL(wi_avx512bf16_uniform_bf16, WI_DIST_UNIFORM, WI_KIND_BF16_NE)
WI_DEFINE_KERNEL(wi_avx512bf16_normal_bf16, WI_DIST_NORMAL, WI_KIND_BF16_NE)
WI_DEFINE_KERNEL(wi_avx512bf16_truncnorm_bf16, WI_DIST_TRUNCNORM, WI_KIND_BF16_NE)
#endif

/* Indexed [dist - WI_DIST_UNIFORM][out] for out in F32, F64, F16, BF16. */
static const wi_block_kernel wi_avx512_table[3][4] = {
    {wi_avx512_uniform_f32, wi_avx512_uniform_f64, wi_avx512_uniform_f16, wi_avx512_uniform_bf16},
    {wi_avx512_normal_f32, wi_avx512_normal_f64, wi_avx512_normal_f16, wi_avx512_normal_bf16},
    {wi_avx512_truncnorm_f32, wi_avx512_truncnorm_f64, wi_avx512_truncnorm_f16, wi_avx512_truncnorm_bf16},
};

wi_block_kernel wi_kernel_avx512_for(const wi_params *p, int bf16)
{
    if (p->dist == WI_DIST_RAW) return p->out == WI_OUT_U32 ? wi_avx512_raw : wi_kernel_scalar;
    if (p->dist < WI_DIST_UNIFORM || p->dist > WI_DIST_TRUNCNORM) return wi_kernel_scalar;
    if (p->out < WI_OUT_F32 || p->out > WI_OUT_BF16) return wi_kernel_scalar;
#if !defined(SIMDE_VERSION)
    static const wi_block_kernel with_bf16[3] = {
        wi_avx512bf16_uniform_bf16, wi_avx512bf16_normal_bf16, wi_avx512bf16_truncnorm_bf16};
    if (bf16 && p->out == WI_OUT_BF16) return with_bf16[p->dist - WI_DIST_UNIFORM];
#else
    (void)bf16;
#endif
    return wi_avx512_table[p->dist - WI_DIST_UNIFORM][p->out];
}

wi_block_kernel wi_kernel_avx512_nt_for(const wi_params *p)
{
    static const wi_block_kernel f32[3] = {
        wi_avx512nt_uniform_f32, wi_avx512nt_normal_f32, wi_avx512nt_truncnorm_f32};
    if (p->out != WI_OUT_F32 || p->dist < WI_DIST_UNIFORM || p->dist > WI_DIST_TRUNCNORM) return NULL;
    return f32[p->dist - WI_DIST_UNIFORM];
}
