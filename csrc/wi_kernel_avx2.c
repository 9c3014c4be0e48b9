/* AVX2 (+F16C) block kernels: the primitives of wi_simd_common.h and
 * wi_simd_loop.h on 8 lanes. Compiled with per-file flags (CMakeLists.txt:
 * -mavx2 -mf16c -mfma; no contraction, so only vf_fmadd/vd_fmadd fuse) and
 * only called after wi_dispatch.c has checked the CPU and OS. Same bits as
 * wi_kernel_scalar by construction (see wi_simd_common.h) and by
 * tests/test_isa_paths.py. */
#include <immintrin.h>
#include "wi_kernel_simd.h"
#include "wi_popcount.h"

/* ---- primitives for wi_simd_common.h ------------------------------------
 * Masks are vectors whose lanes are true when their top bit is set (what
 * blendv and movemask read). */
typedef __m256 vf;
typedef __m256i vi;
typedef __m256 mf;
typedef __m256d vd;
typedef __m256i vq;
typedef __m256d md;

WI_ALWAYS_INLINE vf vf_set1(float a) { return _mm256_set1_ps(a); }
WI_ALWAYS_INLINE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
WI_ALWAYS_INLINE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
WI_ALWAYS_INLINE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
/* a * b + c and c - a * b, one rounding (fmaf, fma of the scalar path) */
WI_ALWAYS_INLINE vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
WI_ALWAYS_INLINE vf vf_fnmadd(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
WI_ALWAYS_INLINE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
WI_ALWAYS_INLINE vf vf_sqrt(vf a) { return _mm256_sqrt_ps(a); }
WI_ALWAYS_INLINE vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
WI_ALWAYS_INLINE vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
WI_ALWAYS_INLINE vf vf_cvt_i32(vi a) { return _mm256_cvtepi32_ps(a); }
WI_ALWAYS_INLINE vi vf_bits(vf a) { return _mm256_castps_si256(a); }
WI_ALWAYS_INLINE vf vf_from_bits(vi a) { return _mm256_castsi256_ps(a); }
WI_ALWAYS_INLINE mf vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
WI_ALWAYS_INLINE mf vf_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
WI_ALWAYS_INLINE mf vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
WI_ALWAYS_INLINE mf vf_unord(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
WI_ALWAYS_INLINE vf vf_blend(mf m, vf a, vf b) { return _mm256_blendv_ps(a, b, m); }
WI_ALWAYS_INLINE mf mf_and(mf a, mf b) { return _mm256_and_ps(a, b); }
WI_ALWAYS_INLINE mf mf_andnot(mf a, mf b) { return _mm256_andnot_ps(a, b); }
WI_ALWAYS_INLINE mf mf_all_lanes(void) { return _mm256_castsi256_ps(_mm256_set1_epi32(-1)); }
WI_ALWAYS_INLINE int mf_any(mf m) { return _mm256_movemask_ps(m) != 0; }
WI_ALWAYS_INLINE int mf_all(mf m) { return _mm256_movemask_ps(m) == 0xff; }
WI_ALWAYS_INLINE vi vi_set1(uint32_t a) { return _mm256_set1_epi32((int)a); }
WI_ALWAYS_INLINE vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
WI_ALWAYS_INLINE vi vi_sub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
WI_ALWAYS_INLINE vi vi_and(vi a, vi b) { return _mm256_and_si256(a, b); }
WI_ALWAYS_INLINE vi vi_or(vi a, vi b) { return _mm256_or_si256(a, b); }
WI_ALWAYS_INLINE vi vi_xor(vi a, vi b) { return _mm256_xor_si256(a, b); }
#define vi_srl(a, n) _mm256_srli_epi32((a), (n))
#define vi_sll(a, n) _mm256_slli_epi32((a), (n))
WI_ALWAYS_INLINE vi vi_blend(mf m, vi a, vi b)
{
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}
WI_ALWAYS_INLINE mf mf_lowbit(vi n) { return _mm256_castsi256_ps(_mm256_slli_epi32(n, 31)); }

WI_ALWAYS_INLINE vd vd_set1(double a) { return _mm256_set1_pd(a); }
WI_ALWAYS_INLINE vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
WI_ALWAYS_INLINE vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
WI_ALWAYS_INLINE vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
WI_ALWAYS_INLINE vd vd_fmadd(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
WI_ALWAYS_INLINE vd vd_fnmadd(vd a, vd b, vd c) { return _mm256_fnmadd_pd(a, b, c); }
WI_ALWAYS_INLINE vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
WI_ALWAYS_INLINE vd vd_sqrt(vd a) { return _mm256_sqrt_pd(a); }
WI_ALWAYS_INLINE vd vd_min(vd a, vd b) { return _mm256_min_pd(a, b); }
WI_ALWAYS_INLINE vd vd_max(vd a, vd b) { return _mm256_max_pd(a, b); }
WI_ALWAYS_INLINE vq vd_bits(vd a) { return _mm256_castpd_si256(a); }
WI_ALWAYS_INLINE vd vd_from_bits(vq a) { return _mm256_castsi256_pd(a); }
WI_ALWAYS_INLINE md vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
WI_ALWAYS_INLINE md vd_le(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
WI_ALWAYS_INLINE md vd_gt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
WI_ALWAYS_INLINE vd vd_blend(md m, vd a, vd b) { return _mm256_blendv_pd(a, b, m); }
WI_ALWAYS_INLINE md md_and(md a, md b) { return _mm256_and_pd(a, b); }
WI_ALWAYS_INLINE md md_andnot(md a, md b) { return _mm256_andnot_pd(a, b); }
WI_ALWAYS_INLINE md md_all_lanes(void) { return _mm256_castsi256_pd(_mm256_set1_epi32(-1)); }
WI_ALWAYS_INLINE int md_any(md m) { return _mm256_movemask_pd(m) != 0; }
WI_ALWAYS_INLINE int md_all(md m) { return _mm256_movemask_pd(m) == 0xf; }
WI_ALWAYS_INLINE vq vq_set1(uint64_t a) { return _mm256_set1_epi64x((long long)a); }
WI_ALWAYS_INLINE vq vq_add(vq a, vq b) { return _mm256_add_epi64(a, b); }
WI_ALWAYS_INLINE vq vq_sub(vq a, vq b) { return _mm256_sub_epi64(a, b); }
WI_ALWAYS_INLINE vq vq_and(vq a, vq b) { return _mm256_and_si256(a, b); }
WI_ALWAYS_INLINE vq vq_or(vq a, vq b) { return _mm256_or_si256(a, b); }
WI_ALWAYS_INLINE vq vq_xor(vq a, vq b) { return _mm256_xor_si256(a, b); }
#define vq_srl(a, n) _mm256_srli_epi64((a), (n))
#define vq_sll(a, n) _mm256_slli_epi64((a), (n))
WI_ALWAYS_INLINE vq vq_blend(md m, vq a, vq b)
{
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(a), _mm256_castsi256_pd(b), m));
}
WI_ALWAYS_INLINE md md_lowbit(vq n) { return _mm256_castsi256_pd(_mm256_slli_epi64(n, 63)); }

/* AVX2 has no int64 -> double conversion; these are exact for the values
 * converted here. a <= 2^53: the halves as 2^84 + hi 2^32 and 2^52 + lo,
 * both exact doubles; (2^84 + hi 2^32) - (2^84 + 2^52) is exact, and adding
 * 2^52 + lo gives a, which is representable, so the sum is exact too. */
WI_ALWAYS_INLINE vd vd_cvt_u53(vq a)
{
    vq hi = _mm256_or_si256(_mm256_srli_epi64(a, 32), _mm256_set1_epi64x(0x4530000000000000LL));
    vq lo = _mm256_blend_epi32(a, _mm256_set1_epi64x(0x4330000000000000LL), 0xaa);
    vd h = _mm256_sub_pd(_mm256_castsi256_pd(hi), _mm256_set1_pd(0x1.00000001p84));
    return _mm256_add_pd(h, _mm256_castsi256_pd(lo));
}
/* |a| < 2^51: the bits of 1.5 * 2^52 + a, whose ulp is 1; subtracting
 * 1.5 * 2^52 leaves a exactly. */
WI_ALWAYS_INLINE vd vd_cvt_i51(vq a)
{
    vq biased = _mm256_add_epi64(a, _mm256_set1_epi64x(0x4338000000000000LL));
    return _mm256_sub_pd(_mm256_castsi256_pd(biased), _mm256_set1_pd(0x1.8p52));
}

/* ---- compress and expand, for the gathered truncated normal -------------
 * AVX2 has neither: a permutation from a table per 8-bit lane mask. A
 * double is a pair of 32-bit lanes, so the same tables serve float64 with
 * each mask bit doubled (what movemask_ps of a double compare mask gives). */
/* lanes set in the mask, in order, packed low */
static const uint8_t wi_compress_idx[256][8] = {
    {0,0,0,0,0,0,0,0}, {0,0,0,0,0,0,0,0}, {1,0,0,0,0,0,0,0}, {0,1,0,0,0,0,0,0}, {2,0,0,0,0,0,0,0},
    {0,2,0,0,0,0,0,0}, {1,2,0,0,0,0,0,0}, {0,1,2,0,0,0,0,0}, {3,0,0,0,0,0,0,0}, {0,3,0,0,0,0,0,0},
    {1,3,0,0,0,0,0,0}, {0,1,3,0,0,0,0,0}, {2,3,0,0,0,0,0,0}, {0,2,3,0,0,0,0,0}, {1,2,3,0,0,0,0,0},
    {0,1,2,3,0,0,0,0}, {4,0,0,0,0,0,0,0}, {0,4,0,0,0,0,0,0}, {1,4,0,0,0,0,0,0}, {0,1,4,0,0,0,0,0},
    {2,4,0,0,0,0,0,0}, {0,2,4,0,0,0,0,0}, {1,2,4,0,0,0,0,0}, {0,1,2,4,0,0,0,0}, {3,4,0,0,0,0,0,0},
    {0,3,4,0,0,0,0,0}, {1,3,4,0,0,0,0,0}, {0,1,3,4,0,0,0,0}, {2,3,4,0,0,0,0,0}, {0,2,3,4,0,0,0,0},
    {1,2,3,4,0,0,0,0}, {0,1,2,3,4,0,0,0}, {5,0,0,0,0,0,0,0}, {0,5,0,0,0,0,0,0}, {1,5,0,0,0,0,0,0},
    {0,1,5,0,0,0,0,0}, {2,5,0,0,0,0,0,0}, {0,2,5,0,0,0,0,0}, {1,2,5,0,0,0,0,0}, {0,1,2,5,0,0,0,0},
    {3,5,0,0,0,0,0,0}, {0,3,5,0,0,0,0,0}, {1,3,5,0,0,0,0,0}, {0,1,3,5,0,0,0,0}, {2,3,5,0,0,0,0,0},
    {0,2,3,5,0,0,0,0}, {1,2,3,5,0,0,0,0}, {0,1,2,3,5,0,0,0}, {4,5,0,0,0,0,0,0}, {0,4,5,0,0,0,0,0},
    {1,4,5,0,0,0,0,0}, {0,1,4,5,0,0,0,0}, {2,4,5,0,0,0,0,0}, {0,2,4,5,0,0,0,0}, {1,2,4,5,0,0,0,0},
    {0,1,2,4,5,0,0,0}, {3,4,5,0,0,0,0,0}, {0,3,4,5,0,0,0,0}, {1,3,4,5,0,0,0,0}, {0,1,3,4,5,0,0,0},
    {2,3,4,5,0,0,0,0}, {0,2,3,4,5,0,0,0}, {1,2,3,4,5,0,0,0}, {0,1,2,3,4,5,0,0}, {6,0,0,0,0,0,0,0},
    {0,6,0,0,0,0,0,0}, {1,6,0,0,0,0,0,0}, {0,1,6,0,0,0,0,0}, {2,6,0,0,0,0,0,0}, {0,2,6,0,0,0,0,0},
    {1,2,6,0,0,0,0,0}, {0,1,2,6,0,0,0,0}, {3,6,0,0,0,0,0,0}, {0,3,6,0,0,0,0,0}, {1,3,6,0,0,0,0,0},
    {0,1,3,6,0,0,0,0}, {2,3,6,0,0,0,0,0}, {0,2,3,6,0,0,0,0}, {1,2,3,6,0,0,0,0}, {0,1,2,3,6,0,0,0},
    {4,6,0,0,0,0,0,0}, {0,4,6,0,0,0,0,0}, {1,4,6,0,0,0,0,0}, {0,1,4,6,0,0,0,0}, {2,4,6,0,0,0,0,0},
    {0,2,4,6,0,0,0,0}, {1,2,4,6,0,0,0,0}, {0,1,2,4,6,0,0,0}, {3,4,6,0,0,0,0,0}, {0,3,4,6,0,0,0,0},
    {1,3,4,6,0,0,0,0}, {0,1,3,4,6,0,0,0}, {2,3,4,6,0,0,0,0}, {0,2,3,4,6,0,0,0}, {1,2,3,4,6,0,0,0},
    {0,1,2,3,4,6,0,0}, {5,6,0,0,0,0,0,0}, {0,5,6,0,0,0,0,0}, {1,5,6,0,0,0,0,0}, {0,1,5,6,0,0,0,0},
    {2,5,6,0,0,0,0,0}, {0,2,5,6,0,0,0,0}, {1,2,5,6,0,0,0,0}, {0,1,2,5,6,0,0,0}, {3,5,6,0,0,0,0,0},
    {0,3,5,6,0,0,0,0}, {1,3,5,6,0,0,0,0}, {0,1,3,5,6,0,0,0}, {2,3,5,6,0,0,0,0}, {0,2,3,5,6,0,0,0},
    {1,2,3,5,6,0,0,0}, {0,1,2,3,5,6,0,0}, {4,5,6,0,0,0,0,0}, {0,4,5,6,0,0,0,0}, {1,4,5,6,0,0,0,0},
    {0,1,4,5,6,0,0,0}, {2,4,5,6,0,0,0,0}, {0,2,4,5,6,0,0,0}, {1,2,4,5,6,0,0,0}, {0,1,2,4,5,6,0,0},
    {3,4,5,6,0,0,0,0}, {0,3,4,5,6,0,0,0}, {1,3,4,5,6,0,0,0}, {0,1,3,4,5,6,0,0}, {2,3,4,5,6,0,0,0},
    {0,2,3,4,5,6,0,0}, {1,2,3,4,5,6,0,0}, {0,1,2,3,4,5,6,0}, {7,0,0,0,0,0,0,0}, {0,7,0,0,0,0,0,0},
    {1,7,0,0,0,0,0,0}, {0,1,7,0,0,0,0,0}, {2,7,0,0,0,0,0,0}, {0,2,7,0,0,0,0,0}, {1,2,7,0,0,0,0,0},
    {0,1,2,7,0,0,0,0}, {3,7,0,0,0,0,0,0}, {0,3,7,0,0,0,0,0}, {1,3,7,0,0,0,0,0}, {0,1,3,7,0,0,0,0},
    {2,3,7,0,0,0,0,0}, {0,2,3,7,0,0,0,0}, {1,2,3,7,0,0,0,0}, {0,1,2,3,7,0,0,0}, {4,7,0,0,0,0,0,0},
    {0,4,7,0,0,0,0,0}, {1,4,7,0,0,0,0,0}, {0,1,4,7,0,0,0,0}, {2,4,7,0,0,0,0,0}, {0,2,4,7,0,0,0,0},
    {1,2,4,7,0,0,0,0}, {0,1,2,4,7,0,0,0}, {3,4,7,0,0,0,0,0}, {0,3,4,7,0,0,0,0}, {1,3,4,7,0,0,0,0},
    {0,1,3,4,7,0,0,0}, {2,3,4,7,0,0,0,0}, {0,2,3,4,7,0,0,0}, {1,2,3,4,7,0,0,0}, {0,1,2,3,4,7,0,0},
    {5,7,0,0,0,0,0,0}, {0,5,7,0,0,0,0,0}, {1,5,7,0,0,0,0,0}, {0,1,5,7,0,0,0,0}, {2,5,7,0,0,0,0,0},
    {0,2,5,7,0,0,0,0}, {1,2,5,7,0,0,0,0}, {0,1,2,5,7,0,0,0}, {3,5,7,0,0,0,0,0}, {0,3,5,7,0,0,0,0},
    {1,3,5,7,0,0,0,0}, {0,1,3,5,7,0,0,0}, {2,3,5,7,0,0,0,0}, {0,2,3,5,7,0,0,0}, {1,2,3,5,7,0,0,0},
    {0,1,2,3,5,7,0,0}, {4,5,7,0,0,0,0,0}, {0,4,5,7,0,0,0,0}, {1,4,5,7,0,0,0,0}, {0,1,4,5,7,0,0,0},
    {2,4,5,7,0,0,0,0}, {0,2,4,5,7,0,0,0}, {1,2,4,5,7,0,0,0}, {0,1,2,4,5,7,0,0}, {3,4,5,7,0,0,0,0},
    {0,3,4,5,7,0,0,0}, {1,3,4,5,7,0,0,0}, {0,1,3,4,5,7,0,0}, {2,3,4,5,7,0,0,0}, {0,2,3,4,5,7,0,0},
    {1,2,3,4,5,7,0,0}, {0,1,2,3,4,5,7,0}, {6,7,0,0,0,0,0,0}, {0,6,7,0,0,0,0,0}, {1,6,7,0,0,0,0,0},
    {0,1,6,7,0,0,0,0}, {2,6,7,0,0,0,0,0}, {0,2,6,7,0,0,0,0}, {1,2,6,7,0,0,0,0}, {0,1,2,6,7,0,0,0},
    {3,6,7,0,0,0,0,0}, {0,3,6,7,0,0,0,0}, {1,3,6,7,0,0,0,0}, {0,1,3,6,7,0,0,0}, {2,3,6,7,0,0,0,0},
    {0,2,3,6,7,0,0,0}, {1,2,3,6,7,0,0,0}, {0,1,2,3,6,7,0,0}, {4,6,7,0,0,0,0,0}, {0,4,6,7,0,0,0,0},
    {1,4,6,7,0,0,0,0}, {0,1,4,6,7,0,0,0}, {2,4,6,7,0,0,0,0}, {0,2,4,6,7,0,0,0}, {1,2,4,6,7,0,0,0},
    {0,1,2,4,6,7,0,0}, {3,4,6,7,0,0,0,0}, {0,3,4,6,7,0,0,0}, {1,3,4,6,7,0,0,0}, {0,1,3,4,6,7,0,0},
    {2,3,4,6,7,0,0,0}, {0,2,3,4,6,7,0,0}, {1,2,3,4,6,7,0,0}, {0,1,2,3,4,6,7,0}, {5,6,7,0,0,0,0,0},
    {0,5,6,7,0,0,0,0}, {1,5,6,7,0,0,0,0}, {0,1,5,6,7,0,0,0}, {2,5,6,7,0,0,0,0}, {0,2,5,6,7,0,0,0},
    {1,2,5,6,7,0,0,0}, {0,1,2,5,6,7,0,0}, {3,5,6,7,0,0,0,0}, {0,3,5,6,7,0,0,0}, {1,3,5,6,7,0,0,0},
    {0,1,3,5,6,7,0,0}, {2,3,5,6,7,0,0,0}, {0,2,3,5,6,7,0,0}, {1,2,3,5,6,7,0,0}, {0,1,2,3,5,6,7,0},
    {4,5,6,7,0,0,0,0}, {0,4,5,6,7,0,0,0}, {1,4,5,6,7,0,0,0}, {0,1,4,5,6,7,0,0}, {2,4,5,6,7,0,0,0},
    {0,2,4,5,6,7,0,0}, {1,2,4,5,6,7,0,0}, {0,1,2,4,5,6,7,0}, {3,4,5,6,7,0,0,0}, {0,3,4,5,6,7,0,0},
    {1,3,4,5,6,7,0,0}, {0,1,3,4,5,6,7,0}, {2,3,4,5,6,7,0,0}, {0,2,3,4,5,6,7,0}, {1,2,3,4,5,6,7,0},
    {0,1,2,3,4,5,6,7},
};

/* for each lane set in the mask, its rank among the set lanes */
static const uint8_t wi_expand_idx[256][8] = {
    {0,0,0,0,0,0,0,0}, {0,0,0,0,0,0,0,0}, {0,0,0,0,0,0,0,0}, {0,1,0,0,0,0,0,0}, {0,0,0,0,0,0,0,0},
    {0,0,1,0,0,0,0,0}, {0,0,1,0,0,0,0,0}, {0,1,2,0,0,0,0,0}, {0,0,0,0,0,0,0,0}, {0,0,0,1,0,0,0,0},
    {0,0,0,1,0,0,0,0}, {0,1,0,2,0,0,0,0}, {0,0,0,1,0,0,0,0}, {0,0,1,2,0,0,0,0}, {0,0,1,2,0,0,0,0},
    {0,1,2,3,0,0,0,0}, {0,0,0,0,0,0,0,0}, {0,0,0,0,1,0,0,0}, {0,0,0,0,1,0,0,0}, {0,1,0,0,2,0,0,0},
    {0,0,0,0,1,0,0,0}, {0,0,1,0,2,0,0,0}, {0,0,1,0,2,0,0,0}, {0,1,2,0,3,0,0,0}, {0,0,0,0,1,0,0,0},
    {0,0,0,1,2,0,0,0}, {0,0,0,1,2,0,0,0}, {0,1,0,2,3,0,0,0}, {0,0,0,1,2,0,0,0}, {0,0,1,2,3,0,0,0},
    {0,0,1,2,3,0,0,0}, {0,1,2,3,4,0,0,0}, {0,0,0,0,0,0,0,0}, {0,0,0,0,0,1,0,0}, {0,0,0,0,0,1,0,0},
    {0,1,0,0,0,2,0,0}, {0,0,0,0,0,1,0,0}, {0,0,1,0,0,2,0,0}, {0,0,1,0,0,2,0,0}, {0,1,2,0,0,3,0,0},
    {0,0,0,0,0,1,0,0}, {0,0,0,1,0,2,0,0}, {0,0,0,1,0,2,0,0}, {0,1,0,2,0,3,0,0}, {0,0,0,1,0,2,0,0},
    {0,0,1,2,0,3,0,0}, {0,0,1,2,0,3,0,0}, {0,1,2,3,0,4,0,0}, {0,0,0,0,0,1,0,0}, {0,0,0,0,1,2,0,0},
    {0,0,0,0,1,2,0,0}, {0,1,0,0,2,3,0,0}, {0,0,0,0,1,2,0,0}, {0,0,1,0,2,3,0,0}, {0,0,1,0,2,3,0,0},
    {0,1,2,0,3,4,0,0}, {0,0,0,0,1,2,0,0}, {0,0,0,1,2,3,0,0}, {0,0,0,1,2,3,0,0}, {0,1,0,2,3,4,0,0},
    {0,0,0,1,2,3,0,0}, {0,0,1,2,3,4,0,0}, {0,0,1,2,3,4,0,0}, {0,1,2,3,4,5,0,0}, {0,0,0,0,0,0,0,0},
    {0,0,0,0,0,0,1,0}, {0,0,0,0,0,0,1,0}, {0,1,0,0,0,0,2,0}, {0,0,0,0,0,0,1,0}, {0,0,1,0,0,0,2,0},
    {0,0,1,0,0,0,2,0}, {0,1,2,0,0,0,3,0}, {0,0,0,0,0,0,1,0}, {0,0,0,1,0,0,2,0}, {0,0,0,1,0,0,2,0},
    {0,1,0,2,0,0,3,0}, {0,0,0,1,0,0,2,0}, {0,0,1,2,0,0,3,0}, {0,0,1,2,0,0,3,0}, {0,1,2,3,0,0,4,0},
    {0,0,0,0,0,0,1,0}, {0,0,0,0,1,0,2,0}, {0,0,0,0,1,0,2,0}, {0,1,0,0,2,0,3,0}, {0,0,0,0,1,0,2,0},
    {0,0,1,0,2,0,3,0}, {0,0,1,0,2,0,3,0}, {0,1,2,0,3,0,4,0}, {0,0,0,0,1,0,2,0}, {0,0,0,1,2,0,3,0},
    {0,0,0,1,2,0,3,0}, {0,1,0,2,3,0,4,0}, {0,0,0,1,2,0,3,0}, {0,0,1,2,3,0,4,0}, {0,0,1,2,3,0,4,0},
    {0,1,2,3,4,0,5,0}, {0,0,0,0,0,0,1,0}, {0,0,0,0,0,1,2,0}, {0,0,0,0,0,1,2,0}, {0,1,0,0,0,2,3,0},
    {0,0,0,0,0,1,2,0}, {0,0,1,0,0,2,3,0}, {0,0,1,0,0,2,3,0}, {0,1,2,0,0,3,4,0}, {0,0,0,0,0,1,2,0},
    {0,0,0,1,0,2,3,0}, {0,0,0,1,0,2,3,0}, {0,1,0,2,0,3,4,0}, {0,0,0,1,0,2,3,0}, {0,0,1,2,0,3,4,0},
    {0,0,1,2,0,3,4,0}, {0,1,2,3,0,4,5,0}, {0,0,0,0,0,1,2,0}, {0,0,0,0,1,2,3,0}, {0,0,0,0,1,2,3,0},
    {0,1,0,0,2,3,4,0}, {0,0,0,0,1,2,3,0}, {0,0,1,0,2,3,4,0}, {0,0,1,0,2,3,4,0}, {0,1,2,0,3,4,5,0},
    {0,0,0,0,1,2,3,0}, {0,0,0,1,2,3,4,0}, {0,0,0,1,2,3,4,0}, {0,1,0,2,3,4,5,0}, {0,0,0,1,2,3,4,0},
    {0,0,1,2,3,4,5,0}, {0,0,1,2,3,4,5,0}, {0,1,2,3,4,5,6,0}, {0,0,0,0,0,0,0,0}, {0,0,0,0,0,0,0,1},
    {0,0,0,0,0,0,0,1}, {0,1,0,0,0,0,0,2}, {0,0,0,0,0,0,0,1}, {0,0,1,0,0,0,0,2}, {0,0,1,0,0,0,0,2},
    {0,1,2,0,0,0,0,3}, {0,0,0,0,0,0,0,1}, {0,0,0,1,0,0,0,2}, {0,0,0,1,0,0,0,2}, {0,1,0,2,0,0,0,3},
    {0,0,0,1,0,0,0,2}, {0,0,1,2,0,0,0,3}, {0,0,1,2,0,0,0,3}, {0,1,2,3,0,0,0,4}, {0,0,0,0,0,0,0,1},
    {0,0,0,0,1,0,0,2}, {0,0,0,0,1,0,0,2}, {0,1,0,0,2,0,0,3}, {0,0,0,0,1,0,0,2}, {0,0,1,0,2,0,0,3},
    {0,0,1,0,2,0,0,3}, {0,1,2,0,3,0,0,4}, {0,0,0,0,1,0,0,2}, {0,0,0,1,2,0,0,3}, {0,0,0,1,2,0,0,3},
    {0,1,0,2,3,0,0,4}, {0,0,0,1,2,0,0,3}, {0,0,1,2,3,0,0,4}, {0,0,1,2,3,0,0,4}, {0,1,2,3,4,0,0,5},
    {0,0,0,0,0,0,0,1}, {0,0,0,0,0,1,0,2}, {0,0,0,0,0,1,0,2}, {0,1,0,0,0,2,0,3}, {0,0,0,0,0,1,0,2},
    {0,0,1,0,0,2,0,3}, {0,0,1,0,0,2,0,3}, {0,1,2,0,0,3,0,4}, {0,0,0,0,0,1,0,2}, {0,0,0,1,0,2,0,3},
    {0,0,0,1,0,2,0,3}, {0,1,0,2,0,3,0,4}, {0,0,0,1,0,2,0,3}, {0,0,1,2,0,3,0,4}, {0,0,1,2,0,3,0,4},
    {0,1,2,3,0,4,0,5}, {0,0,0,0,0,1,0,2}, {0,0,0,0,1,2,0,3}, {0,0,0,0,1,2,0,3}, {0,1,0,0,2,3,0,4},
    {0,0,0,0,1,2,0,3}, {0,0,1,0,2,3,0,4}, {0,0,1,0,2,3,0,4}, {0,1,2,0,3,4,0,5}, {0,0,0,0,1,2,0,3},
    {0,0,0,1,2,3,0,4}, {0,0,0,1,2,3,0,4}, {0,1,0,2,3,4,0,5}, {0,0,0,1,2,3,0,4}, {0,0,1,2,3,4,0,5},
    {0,0,1,2,3,4,0,5}, {0,1,2,3,4,5,0,6}, {0,0,0,0,0,0,0,1}, {0,0,0,0,0,0,1,2}, {0,0,0,0,0,0,1,2},
    {0,1,0,0,0,0,2,3}, {0,0,0,0,0,0,1,2}, {0,0,1,0,0,0,2,3}, {0,0,1,0,0,0,2,3}, {0,1,2,0,0,0,3,4},
    {0,0,0,0,0,0,1,2}, {0,0,0,1,0,0,2,3}, {0,0,0,1,0,0,2,3}, {0,1,0,2,0,0,3,4}, {0,0,0,1,0,0,2,3},
    {0,0,1,2,0,0,3,4}, {0,0,1,2,0,0,3,4}, {0,1,2,3,0,0,4,5}, {0,0,0,0,0,0,1,2}, {0,0,0,0,1,0,2,3},
    {0,0,0,0,1,0,2,3}, {0,1,0,0,2,0,3,4}, {0,0,0,0,1,0,2,3}, {0,0,1,0,2,0,3,4}, {0,0,1,0,2,0,3,4},
    {0,1,2,0,3,0,4,5}, {0,0,0,0,1,0,2,3}, {0,0,0,1,2,0,3,4}, {0,0,0,1,2,0,3,4}, {0,1,0,2,3,0,4,5},
    {0,0,0,1,2,0,3,4}, {0,0,1,2,3,0,4,5}, {0,0,1,2,3,0,4,5}, {0,1,2,3,4,0,5,6}, {0,0,0,0,0,0,1,2},
    {0,0,0,0,0,1,2,3}, {0,0,0,0,0,1,2,3}, {0,1,0,0,0,2,3,4}, {0,0,0,0,0,1,2,3}, {0,0,1,0,0,2,3,4},
    {0,0,1,0,0,2,3,4}, {0,1,2,0,0,3,4,5}, {0,0,0,0,0,1,2,3}, {0,0,0,1,0,2,3,4}, {0,0,0,1,0,2,3,4},
    {0,1,0,2,0,3,4,5}, {0,0,0,1,0,2,3,4}, {0,0,1,2,0,3,4,5}, {0,0,1,2,0,3,4,5}, {0,1,2,3,0,4,5,6},
    {0,0,0,0,0,1,2,3}, {0,0,0,0,1,2,3,4}, {0,0,0,0,1,2,3,4}, {0,1,0,0,2,3,4,5}, {0,0,0,0,1,2,3,4},
    {0,0,1,0,2,3,4,5}, {0,0,1,0,2,3,4,5}, {0,1,2,0,3,4,5,6}, {0,0,0,0,1,2,3,4}, {0,0,0,1,2,3,4,5},
    {0,0,0,1,2,3,4,5}, {0,1,0,2,3,4,5,6}, {0,0,0,1,2,3,4,5}, {0,0,1,2,3,4,5,6}, {0,0,1,2,3,4,5,6},
    {0,1,2,3,4,5,6,7},
};


WI_ALWAYS_INLINE vi wi_lane_idx(const uint8_t idx[8])
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)idx));
}

#define WI_VF_LANES 8
#define WI_VD_LANES 4
WI_ALWAYS_INLINE int mf_count(mf m) { return wi_popcount8((unsigned)_mm256_movemask_ps(m)); }
WI_ALWAYS_INLINE int md_count(md m) { return wi_popcount8((unsigned)_mm256_movemask_pd(m)); }
WI_ALWAYS_INLINE mf mf_from_sign(vi a) { return _mm256_castsi256_ps(a); }   /* blendv reads the sign */
WI_ALWAYS_INLINE md md_from_sign(vq a) { return _mm256_castsi256_pd(a); }
WI_ALWAYS_INLINE void wi_compress_store32(void *dst, unsigned m8, vi a)
{
    _mm256_storeu_si256((__m256i *)dst, _mm256_permutevar8x32_epi32(a, wi_lane_idx(wi_compress_idx[m8])));
}
WI_ALWAYS_INLINE vi wi_expand_load32(unsigned m8, const void *src)
{
    return _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)src),
                                       wi_lane_idx(wi_expand_idx[m8]));
}
WI_ALWAYS_INLINE void vi_compress_store(float *dst, mf m, vi a)
{
    wi_compress_store32(dst, (unsigned)_mm256_movemask_ps(m), a);
}
WI_ALWAYS_INLINE vf vf_expand_load(vf z, mf m, const float *src)
{
    return vf_blend(m, z, _mm256_castsi256_ps(wi_expand_load32((unsigned)_mm256_movemask_ps(m), src)));
}
WI_ALWAYS_INLINE void vq_compress_store(double *dst, md m, vq a)
{
    wi_compress_store32(dst, (unsigned)_mm256_movemask_ps(_mm256_castpd_ps(m)), a);
}
WI_ALWAYS_INLINE vd vd_expand_load(vd z, md m, const double *src)
{
    unsigned m8 = (unsigned)_mm256_movemask_ps(_mm256_castpd_ps(m));
    return vd_blend(m, z, _mm256_castsi256_pd(wi_expand_load32(m8, src)));
}

#include "wi_simd_common.h"

/* ---- primitives for wi_simd_loop.h -------------------------------------- */

/* 16 registers: key words stay scalars, broadcast when used. */
typedef uint32_t wi_vkey;
WI_ALWAYS_INLINE wi_vkey wi_vkey_make(uint32_t u) { return u; }
WI_ALWAYS_INLINE vi wi_vkey_get(wi_vkey k) { return _mm256_set1_epi32((int)k); }

/* hi and lo words of m * x in every 32-bit lane (even lanes in place, odd
 * lanes shifted down, products put back in place). */
WI_ALWAYS_INLINE void vi_mulhilo(vi x, vi m, vi *hi, vi *lo)
{
    vi even = _mm256_mul_epu32(x, m);
    vi odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xaa);
}

WI_ALWAYS_INLINE vi vi_xor3(vi a, vi b, vi c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }

/* unsigned carry of b + lane: signed compare of sign-flipped words */
WI_ALWAYS_INLINE void wi_v_counter(uint64_t b, vi *c0, vi *c1)
{
    const vi sign = _mm256_set1_epi32((int)UINT32_C(0x80000000));
    vi blo = _mm256_set1_epi32((int)(uint32_t)b);
    *c0 = _mm256_add_epi32(blo, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    vi carry = _mm256_cmpgt_epi32(_mm256_xor_si256(blo, sign), _mm256_xor_si256(*c0, sign));
    *c1 = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(b >> 32)), carry);
}

WI_ALWAYS_INLINE void wi_v_pairs(const vi w[4], vq x[4])
{
    x[0] = _mm256_unpacklo_epi32(w[0], w[1]);
    x[1] = _mm256_unpacklo_epi32(w[2], w[3]);
    x[2] = _mm256_unpackhi_epi32(w[0], w[1]);
    x[3] = _mm256_unpackhi_epi32(w[2], w[3]);
}

/* x[j] holds word j of blocks 0..7 -> 32 elements 4b + j in order. */
WI_ALWAYS_INLINE void wi_transpose4x8(const vi x[4], vi o[4])
{
    vi t0 = _mm256_unpacklo_epi32(x[0], x[1]), t1 = _mm256_unpackhi_epi32(x[0], x[1]);
    vi t2 = _mm256_unpacklo_epi32(x[2], x[3]), t3 = _mm256_unpackhi_epi32(x[2], x[3]);
    /* 128-bit lane k of u_j: the four words of block 4k + j */
    vi u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    vi u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    o[0] = _mm256_permute2x128_si256(u0, u1, 0x20);
    o[1] = _mm256_permute2x128_si256(u2, u3, 0x20);
    o[2] = _mm256_permute2x128_si256(u0, u1, 0x31);
    o[3] = _mm256_permute2x128_si256(u2, u3, 0x31);
}

WI_ALWAYS_INLINE void wi_store_u32(void *out, const vi x[4])
{
    vi o[4];
    wi_transpose4x8(x, o);
    for (int j = 0; j < 4; j++) _mm256_storeu_si256((__m256i *)((char *)out + 32 * j), o[j]);
}

/* v[j] lane b: element 4b + j (as wi_transpose4x8 reads it) -> 32 bfloat16
 * in element order. Each float is rounded in place (wi_v_bf16_hi), then
 * the high halves are gathered by word blends and dword unpacks: no float32
 * transpose first. The NaN guard runs only when one of the 32 values is NaN
 * (two unordered compares of pairs find any): NaN samples are rare in
 * fills (infinite intermediates only), and the guard is 3 of the 7
 * instructions of a vector's rounding. */
WI_ALWAYS_INLINE void wi_store_bf16(void *out, const vf v[4])
{
    vi r[4];
    mf nan = _mm256_or_ps(vf_unord(v[0], v[1]), vf_unord(v[2], v[3]));
    if (__builtin_expect(_mm256_testz_ps(nan, nan), 1)) {
        for (int j = 0; j < 4; j++) r[j] = wi_v_bf16_hi_not_nan(vf_bits(v[j]));
    } else {
        for (int j = 0; j < 4; j++) r[j] = wi_v_bf16_hi(v[j]);
    }
    /* dword b of p01 (per 128-bit lane): elements 4b, 4b + 1; of p23: 4b + 2, 4b + 3 */
    vi p01 = _mm256_blend_epi16(_mm256_srli_epi32(r[0], 16), r[1], 0xaa);
    vi p23 = _mm256_blend_epi16(_mm256_srli_epi32(r[2], 16), r[3], 0xaa);
    /* 128-bit lane k of lo: elements 16k .. 16k + 7; of hi: 16k + 8 .. 16k + 15 */
    vi lo = _mm256_unpacklo_epi32(p01, p23), hi = _mm256_unpackhi_epi32(p01, p23);
    _mm256_storeu_si256((__m256i *)out, _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256((__m256i *)((char *)out + 32), _mm256_permute2x128_si256(lo, hi, 0x31));
}

WI_ALWAYS_INLINE void wi_store_f32(void *out, const vf v[4], int kind)
{
    if (kind == WI_OUT_BF16) {
        wi_store_bf16(out, v);
        return;
    }
    vi x[4], o[4];
    for (int j = 0; j < 4; j++) x[j] = _mm256_castps_si256(v[j]);
    wi_transpose4x8(x, o);
    if (kind == WI_OUT_F32) {
        for (int j = 0; j < 4; j++) _mm256_storeu_si256((__m256i *)((char *)out + 32 * j), o[j]);
    } else if (kind == WI_OUT_F16) {
        for (int j = 0; j < 4; j++) {
            __m128i h = _mm256_cvtps_ph(wi_v_f16_prepare(_mm256_castsi256_ps(o[j])),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm_storeu_si128((__m128i *)((char *)out + 16 * j), h);
        }
    }
}

/* y[0], y[1]: elements 2b, 2b + 1 for blocks b = {0,1,4,5}; y[2], y[3] for
 * {2,3,6,7}, as wi_v_pairs splits them. */
WI_ALWAYS_INLINE void wi_store_f64(void *out, const vd y[4])
{
    vd x0 = _mm256_unpacklo_pd(y[0], y[1]), x1 = _mm256_unpackhi_pd(y[0], y[1]);
    vd x2 = _mm256_unpacklo_pd(y[2], y[3]), x3 = _mm256_unpackhi_pd(y[2], y[3]);
    _mm256_storeu_pd((double *)out + 0, _mm256_permute2f128_pd(x0, x1, 0x20));
    _mm256_storeu_pd((double *)out + 4, _mm256_permute2f128_pd(x2, x3, 0x20));
    _mm256_storeu_pd((double *)out + 8, _mm256_permute2f128_pd(x0, x1, 0x31));
    _mm256_storeu_pd((double *)out + 12, _mm256_permute2f128_pd(x2, x3, 0x31));
}

#include "wi_simd_loop.h"

WI_DEFINE_KERNELS(wi_avx2)

wi_block_kernel wi_kernel_avx2_for(const wi_params *p)
{
    return wi_v_kernel_for(p, wi_avx2_raw, wi_avx2_table);
}
