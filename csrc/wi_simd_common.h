/* wi_math.h and wi_transform.h for whole vectors, written once.
 *
 * An ISA file (wi_kernel_avx2.c, wi_kernel_avx512.c) defines the types and
 * primitives below, then includes this header:
 *   vf, vi, mf   float32 lanes, their uint32 words, a lane mask
 *   vd, vq, md   float64 lanes, their uint64 words, a lane mask
 *   vf_add .. vf_max, vf_fmadd/vf_fnmadd (fused), vf_lt/le/gt (ordered: false on NaN), vf_blend(m, a, b)
 *   (b where m, else a), vf_cvt_i32 (exact here), vf_bits/vf_from_bits,
 *   vi_* integer ops, mf_and/mf_andnot(a, b) = ~a & b/any/all, mf_lowbit(n)
 *   (lanes whose bit 0 is set); the same for double, plus vd_cvt_u53 (uint64
 *   <= 2^53 to double, exact) and vd_cvt_i51 (|int64| < 2^51, exact).
 *   For the gathered truncated normal: WI_VF_LANES / WI_VD_LANES, mf_count
 *   (lanes set), vi_compress_store(dst, m, a) (a's lanes set in m, in order,
 *   from dst on; may write a whole vector), vf_expand_load(z, m, src) (src's
 *   first values into the lanes set in m, the rest from z), mf_from_sign(a)
 *   (the lanes whose sign bit is set), and their double counterparts.
 *
 * Bit identity with the scalar path: every function performs exactly the
 * scalar operations in the same order -- vf_fmadd(a, b, c) = a * b + c and
 * vf_fnmadd(a, b, c) = c - a * b, one rounding, exactly where the scalar
 * code calls fmaf/fma, and a separate multiply and add everywhere else
 * (stream version 2, docs/contract.md 2); vf_min(a, b) = a < b ? a : b and vf_max(a, b) = a > b ? a : b, which
 * is the IEEE-exact meaning of MINPS/MAXPS and of the scalar ternaries,
 * NaN and signed zeros included; negation flips the sign bit. A scalar
 * branch becomes both arms computed and blended by the scalar's own
 * condition; an arm no lane takes is skipped, which changes nothing. */
#ifndef WI_SIMD_COMMON_H
#define WI_SIMD_COMMON_H

#include "wi_kernel_simd.h"
#include "wi_math.h"
#include "wi_params.h"

/* ---- float32 working precision ------------------------------------------ */

/* Broadcast constants of one call (wi_consts, float half). */
typedef struct {
    vf low, step, high_below, mean, std, r0, r1, pb, logpb, flip, lo, hi;
} wi_vconsts_f32;

WI_ALWAYS_INLINE wi_vconsts_f32 wi_vconsts_f32_make(const wi_consts *c)
{
    wi_vconsts_f32 k;
    k.low = vf_set1(c->f_low); k.step = vf_set1(c->f_step);
    k.high_below = vf_set1(c->f_high_below);
    k.mean = vf_set1(c->f_mean); k.std = vf_set1(c->f_std);
    k.r0 = vf_set1(c->f_r0); k.r1 = vf_set1(c->f_r1); k.pb = vf_set1(c->f_pb);
    k.logpb = vf_set1(c->f_logpb); k.flip = vf_set1(c->f_flip);
    k.lo = vf_set1(c->f_lo); k.hi = vf_set1(c->f_hi);
    return k;
}

WI_ALWAYS_INLINE vf vf_neg(vf x) { return vf_from_bits(vi_xor(vf_bits(x), vi_set1(UINT32_C(0x80000000)))); }
WI_ALWAYS_INLINE vf vf_abs(vf x) { return vf_from_bits(vi_and(vf_bits(x), vi_set1(UINT32_C(0x7fffffff)))); }

/* wi_logf_scaled (shift and k constants, folded) */
WI_ALWAYS_INLINE vf wi_v_logf_scaled(vf x, int32_t shift, float k)
{
    const vf one = vf_set1(1.0f);
    vi t = vi_add(vf_bits(x), vi_set1(UINT32_C(0x40000000) - WI_LOGF_MBASE));
    vi e = vi_sub(vi_srl(t, 23), vi_set1((uint32_t)(128 - shift)));
    vf m = vf_from_bits(vi_add(vi_and(t, vi_set1(UINT32_C(0x007fffff))), vi_set1(WI_LOGF_MBASE)));
    vf s = vf_div(vf_sub(m, one), vf_add(m, one));
    vf s2 = vf_mul(s, s);
    vf poly = vf_set1(k * (2.0f / 9.0f));
    poly = vf_fmadd(poly, s2, vf_set1(k * (2.0f / 7.0f)));
    poly = vf_fmadd(poly, s2, vf_set1(k * (2.0f / 5.0f)));
    poly = vf_fmadd(poly, s2, vf_set1(k * (2.0f / 3.0f)));
    vf logm = vf_fmadd(s, vf_mul(poly, s2), vf_mul(s, vf_set1(2.0f * k)));
    vf ef = vf_cvt_i32(e);
    return vf_fmadd(ef, vf_set1(k * WI_LN2_HI_F), vf_fmadd(ef, vf_set1(k * WI_LN2_LO_F), logm));
}

/* wi_sincos_turn_f32: the quadrant switch as a swap (bit 0 of n) and two
 * sign flips (s: bit 1; c: bit 0 xor bit 1). */
WI_ALWAYS_INLINE void wi_v_sincos_turn_f32(vi k24, vf *s, vf *c)
{
    vi n = vi_srl(vi_add(k24, vi_set1(UINT32_C(1) << 21)), 22);
    vi r = vi_sub(k24, vi_sll(n, 22));
    vf f = vf_mul(vf_cvt_i32(r), vf_set1(0x1p-24f));
    vf f2 = vf_mul(f, f);
    vf sp = vf_set1(42.058693944897655f);
    sp = vf_fmadd(sp, f2, vf_set1(-76.70585975306139f));
    sp = vf_fmadd(sp, f2, vf_set1(81.60524927607506f));
    sp = vf_fmadd(sp, f2, vf_set1(-41.34170224039976f));
    sp = vf_fmadd(sp, f2, vf_set1(6.283185307179586f));
    vf sn = vf_mul(sp, f);
    vf cp = vf_set1(-26.4262567833744f);
    cp = vf_fmadd(cp, f2, vf_set1(60.24464137187666f));
    cp = vf_fmadd(cp, f2, vf_set1(-85.45681720669373f));
    cp = vf_fmadd(cp, f2, vf_set1(64.9393940226683f));
    cp = vf_fmadd(cp, f2, vf_set1(-19.739208802178716f));
    vf cs = vf_fmadd(cp, f2, vf_set1(1.0f));
    mf swap = mf_lowbit(n);
    const vi sign = vi_set1(UINT32_C(0x80000000));
    vi sign_s = vi_and(vi_sll(n, 30), sign);
    vi sign_c = vi_and(vi_sll(vi_xor(n, vi_sll(n, 1)), 30), sign);
    *s = vf_from_bits(vi_xor(vf_bits(vf_blend(swap, sn, cs)), sign_s));
    *c = vf_from_bits(vi_xor(vf_bits(vf_blend(swap, cs, sn)), sign_c));
}

/* wi_uniform_f32 with u's scale folded into the step (wi_consts.f_step) */
WI_ALWAYS_INLINE vf wi_v_uniform_f32(const wi_vconsts_f32 *k, vi w)
{
    return vf_min(vf_add(k->low, vf_mul(vf_cvt_i32(vi_srl(w, 8)), k->step)), k->high_below);
}

/* wi_normal_f32 */
WI_ALWAYS_INLINE void wi_v_normal_f32(const wi_vconsts_f32 *k, vi w_radius, vi w_angle, vf *z0, vf *z1)
{
    vf r = vf_sqrt(wi_v_logf_scaled(vf_cvt_i32(vi_add(vi_srl(w_radius, 8), vi_set1(1))), -24, -2.0f));
    vf s, c;
    wi_v_sincos_turn_f32(vi_srl(w_angle, 8), &s, &c);
    vf rs = vf_mul(k->std, r);
    *z0 = vf_fmadd(rs, c, k->mean);
    *z1 = vf_fmadd(rs, s, k->mean);
}

/* wi_truncnorm_f32 in stages, so that a kernel may evaluate the tail on
 * gathered lanes (wi_kernel_avx512.c). Everything before the central/tail
 * branch: */
WI_ALWAYS_INLINE void wi_v_tn_prefix_f32(const wi_vconsts_f32 *k, vi w, vf *t, vf *p, vf *q,
                                        mf *lower, mf *central)
{
    const vf half = vf_set1(0.5f);
    vf u = vf_fmadd(vf_cvt_i32(vi_srl(w, 9)), vf_set1(0x1p-23f), vf_set1(0x1p-24f));
    *t = vf_fmadd(u, k->r1, k->r0);
    *p = vf_mul(k->pb, *t);
    *lower = vf_lt(*p, half);
    *q = vf_sub(*p, half);
    *central = vf_le(vf_abs(*q), vf_set1(0.425f));
}

/* The argument of the tail's log: t below 1/2, else max(1 - p, 2^-126). */
WI_ALWAYS_INLINE vf wi_v_tn_tail_arg_f32(vf t, vf p, mf lower)
{
    return vf_blend(lower, vf_max(vf_sub(vf_set1(1.0f), p), vf_set1(0x1p-126f)), t);
}

/* fma(c[0], r, c[1]), ... as WI_HORNER3/4 of wi_math.h (its AS 241 tables),
 * written out so the coefficients fold to constants as literals would. */
#define WI_V_HORNER3(c, r) \
    vf_fmadd(vf_fmadd(vf_set1((c)[0]), (r), vf_set1((c)[1])), (r), vf_set1((c)[2]))
#define WI_V_HORNER4(c, r) vf_fmadd(WI_V_HORNER3(c, r), (r), vf_set1((c)[3]))

/* wi_ndtri_central_f32 as numerator (q * num) and denominator. */
WI_ALWAYS_INLINE void wi_v_ndtri_central_f32(vf q, vf *num, vf *den)
{
    vf r = vf_fnmadd(q, q, vf_set1(0.180625f));
    *num = vf_mul(q, WI_V_HORNER4(wi_as241_central_num_f32, r));
    *den = WI_V_HORNER4(wi_as241_central_den_f32, r);
}

/* The tail on the lanes of `tail`: log of the tail argument (plus log pb
 * below 1/2), s = sqrt(-log), and wi_ndtri_tail_f32's rational for s <= 5
 * or s > 5 (NaN s included, as the scalar else branch) blended into
 * num/den. */
WI_ALWAYS_INLINE void wi_v_ndtri_tail_f32(const wi_vconsts_f32 *k, vf tail_arg, mf lower, mf tail,
                                         vf *num, vf *den)
{
    vf neg_log = wi_v_logf_scaled(tail_arg, 0, -1.0f);
    vf s = vf_sqrt(vf_blend(lower, neg_log, vf_sub(neg_log, k->logpb)));
    mf le5 = vf_le(s, vf_set1(5.0f));
    mf near = mf_and(tail, le5);
    mf far = mf_andnot(le5, tail);
    if (mf_any(near)) {
        vf r = vf_sub(s, vf_set1(1.6f));
        *num = vf_blend(near, *num, WI_V_HORNER4(wi_as241_near_num_f32, r));
        *den = vf_blend(near, *den, WI_V_HORNER3(wi_as241_near_den_f32, r));
    }
    if (mf_any(far)) {
        vf r = vf_sub(s, vf_set1(5.0f));
        *num = vf_blend(far, *num, WI_V_HORNER4(wi_as241_far_num_f32, r));
        *den = vf_blend(far, *den, WI_V_HORNER3(wi_as241_far_den_f32, r));
    }
}

/* After the branch: reflect, clamp to [a, b], scale. */
WI_ALWAYS_INLINE vf wi_v_tn_finish_f32(const wi_vconsts_f32 *k, vf z)
{
    z = vf_mul(z, k->flip);
    z = vf_max(z, k->lo);
    z = vf_min(z, k->hi);
    return vf_fmadd(k->std, z, k->mean);
}

/* ---- float64 working precision ------------------------------------------ */

typedef struct {
    vd low, step, high_below, mean, std, r0, r1, pb, logpb, flip, lo, hi;
} wi_vconsts_f64;

WI_ALWAYS_INLINE wi_vconsts_f64 wi_vconsts_f64_make(const wi_consts *c)
{
    wi_vconsts_f64 k;
    k.low = vd_set1(c->d_low); k.step = vd_set1(c->d_step);
    k.high_below = vd_set1(c->d_high_below);
    k.mean = vd_set1(c->d_mean); k.std = vd_set1(c->d_std);
    k.r0 = vd_set1(c->d_r0); k.r1 = vd_set1(c->d_r1); k.pb = vd_set1(c->d_pb);
    k.logpb = vd_set1(c->d_logpb); k.flip = vd_set1(c->d_flip);
    k.lo = vd_set1(c->d_lo); k.hi = vd_set1(c->d_hi);
    return k;
}

WI_ALWAYS_INLINE vd vd_neg(vd x) { return vd_from_bits(vq_xor(vd_bits(x), vq_set1(UINT64_C(0x8000000000000000)))); }
WI_ALWAYS_INLINE vd vd_abs(vd x) { return vd_from_bits(vq_and(vd_bits(x), vq_set1(UINT64_C(0x7fffffffffffffff)))); }

/* wi_log_scaled */
WI_ALWAYS_INLINE vd wi_v_log_scaled(vd x, int64_t shift, double k)
{
    const vd one = vd_set1(1.0);
    vq t = vq_add(vd_bits(x), vq_set1((UINT64_C(1) << 62) - WI_LOG_MBASE));
    vq e = vq_sub(vq_srl(t, 52), vq_set1((uint64_t)(1024 - shift)));
    vd m = vd_from_bits(vq_add(vq_and(t, vq_set1(UINT64_C(0x000fffffffffffff))),
                               vq_set1(WI_LOG_MBASE)));
    vd s = vd_div(vd_sub(m, one), vd_add(m, one));
    vd s2 = vd_mul(s, s);
    vd poly = vd_set1(k * (2.0 / 23.0));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 21.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 19.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 17.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 15.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 13.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 11.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 9.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 7.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 5.0)));
    poly = vd_fmadd(poly, s2, vd_set1(k * (2.0 / 3.0)));
    vd logm = vd_fmadd(s, vd_mul(poly, s2), vd_mul(s, vd_set1(2.0 * k)));
    vd ef = vd_cvt_i51(e);
    return vd_fmadd(ef, vd_set1(k * WI_LN2_HI), vd_fmadd(ef, vd_set1(k * WI_LN2_LO), logm));
}

/* wi_sincos_turn_f64 */
WI_ALWAYS_INLINE void wi_v_sincos_turn_f64(vq k53, vd *s, vd *c)
{
    vq n = vq_srl(vq_add(k53, vq_set1(UINT64_C(1) << 50)), 51);
    vq r = vq_sub(k53, vq_sll(n, 51));
    vd f = vd_mul(vd_cvt_i51(r), vd_set1(0x1p-53));
    vd f2 = vd_mul(f, f);
    vd sp = vd_set1(0.10422916220813984);
    sp = vd_fmadd(sp, f2, vd_set1(-0.7181223017785006));
    sp = vd_fmadd(sp, f2, vd_set1(3.819952584848282));
    sp = vd_fmadd(sp, f2, vd_set1(-15.09464257682299));
    sp = vd_fmadd(sp, f2, vd_set1(42.058693944897655));
    sp = vd_fmadd(sp, f2, vd_set1(-76.70585975306139));
    sp = vd_fmadd(sp, f2, vd_set1(81.60524927607506));
    sp = vd_fmadd(sp, f2, vd_set1(-41.34170224039976));
    sp = vd_fmadd(sp, f2, vd_set1(6.283185307179586));
    vd sn = vd_mul(sp, f);
    vd cp = vd_set1(-0.03638284114254567);
    cp = vd_fmadd(cp, f2, vd_set1(0.28200596845579123));
    cp = vd_fmadd(cp, f2, vd_set1(-1.714390711088672));
    cp = vd_fmadd(cp, f2, vd_set1(7.903536371318469));
    cp = vd_fmadd(cp, f2, vd_set1(-26.4262567833744));
    cp = vd_fmadd(cp, f2, vd_set1(60.24464137187666));
    cp = vd_fmadd(cp, f2, vd_set1(-85.45681720669373));
    cp = vd_fmadd(cp, f2, vd_set1(64.9393940226683));
    cp = vd_fmadd(cp, f2, vd_set1(-19.739208802178716));
    vd cs = vd_fmadd(cp, f2, vd_set1(1.0));
    md swap = md_lowbit(n);
    const vq sign = vq_set1(UINT64_C(0x8000000000000000));
    vq sign_s = vq_and(vq_sll(n, 62), sign);
    vq sign_c = vq_and(vq_sll(vq_xor(n, vq_sll(n, 1)), 62), sign);
    *s = vd_from_bits(vq_xor(vd_bits(vd_blend(swap, sn, cs)), sign_s));
    *c = vd_from_bits(vq_xor(vd_bits(vd_blend(swap, cs, sn)), sign_c));
}

/* wi_uniform_f64 with u's scale folded into the step (wi_consts.d_step) */
WI_ALWAYS_INLINE vd wi_v_uniform_f64(const wi_vconsts_f64 *k, vq x)
{
    return vd_min(vd_add(k->low, vd_mul(vd_cvt_u53(vq_srl(x, 11)), k->step)), k->high_below);
}

/* wi_normal_f64 */
WI_ALWAYS_INLINE void wi_v_normal_f64(const wi_vconsts_f64 *k, vq x_radius, vq x_angle, vd *z0, vd *z1)
{
    vd r = vd_sqrt(wi_v_log_scaled(vd_cvt_u53(vq_add(vq_srl(x_radius, 11), vq_set1(1))), -53, -2.0));
    vd s, c;
    wi_v_sincos_turn_f64(vq_srl(x_angle, 11), &s, &c);
    vd rs = vd_mul(k->std, r);
    *z0 = vd_fmadd(rs, c, k->mean);
    *z1 = vd_fmadd(rs, s, k->mean);
}

WI_ALWAYS_INLINE vd wi_v_horner8(vd r, const double c[8])
{
    vd y = vd_set1(c[0]);
    for (int i = 1; i < 8; i++) y = vd_fmadd(y, r, vd_set1(c[i]));
    return y;
}

/* wi_truncnorm_f64 in the stages of the float32 version. */
WI_ALWAYS_INLINE void wi_v_tn_prefix_f64(const wi_vconsts_f64 *k, vq x, vd *t, vd *p, vd *q,
                                         md *lower, md *central)
{
    const vd half = vd_set1(0.5);
    vd u = vd_fmadd(vd_cvt_u53(vq_srl(x, 12)), vd_set1(0x1p-52), vd_set1(0x1p-53));
    *t = vd_fmadd(u, k->r1, k->r0);
    *p = vd_mul(k->pb, *t);
    *lower = vd_lt(*p, half);
    *q = vd_sub(*p, half);
    *central = vd_le(vd_abs(*q), vd_set1(0.425));
}

WI_ALWAYS_INLINE vd wi_v_tn_tail_arg_f64(vd t, vd p, md lower)
{
    return vd_blend(lower, vd_max(vd_sub(vd_set1(1.0), p), vd_set1(0x1p-1022)), t);
}

/* wi_ndtri_central_f64 as numerator (q * num) and denominator. */
WI_ALWAYS_INLINE void wi_v_ndtri_central_f64(vd q, vd *num, vd *den)
{
    vd r = vd_fnmadd(q, q, vd_set1(0.180625));
    *num = vd_mul(q, wi_v_horner8(r, wi_as241_central_num_f64));
    *den = wi_v_horner8(r, wi_as241_central_den_f64);
}

/* The tail on the lanes of `tail`, as wi_v_ndtri_tail_f32. */
WI_ALWAYS_INLINE void wi_v_ndtri_tail_f64(const wi_vconsts_f64 *k, vd tail_arg, md lower, md tail,
                                          vd *num, vd *den)
{
    vd neg_log = wi_v_log_scaled(tail_arg, 0, -1.0);
    vd s = vd_sqrt(vd_blend(lower, neg_log, vd_sub(neg_log, k->logpb)));
    md le5 = vd_le(s, vd_set1(5.0));
    md near = md_and(tail, le5);
    md far = md_andnot(le5, tail);        /* NaN s included, as the scalar else */
    if (md_any(near)) {
        vd r = vd_sub(s, vd_set1(1.6));
        *num = vd_blend(near, *num, wi_v_horner8(r, wi_as241_near_num_f64));
        *den = vd_blend(near, *den, wi_v_horner8(r, wi_as241_near_den_f64));
    }
    if (md_any(far)) {
        vd r = vd_sub(s, vd_set1(5.0));
        *num = vd_blend(far, *num, wi_v_horner8(r, wi_as241_far_num_f64));
        *den = vd_blend(far, *den, wi_v_horner8(r, wi_as241_far_den_f64));
    }
}

WI_ALWAYS_INLINE vd wi_v_tn_finish_f64(const wi_vconsts_f64 *k, vd z)
{
    z = vd_mul(z, k->flip);
    z = vd_max(z, k->lo);
    z = vd_min(z, k->hi);
    return vd_fmadd(k->std, z, k->mean);
}

/* ---- truncated normal with the tail lanes gathered ----------------------
 * With the usual bounds most samples take the central piece of the inverse
 * CDF; the tail (log, sqrt, a second rational) is needed by about 1 lane in
 * 9, yet by some lane of most vectors. The tail lanes of nv vectors are
 * compressed into as few vectors as they fill, evaluated there and expanded
 * back: the same operations on the same values per lane, so the same bits.
 * The tail argument is positive, so its sign bit carries `lower` through
 * the buffer. */
WI_ALWAYS_INLINE void wi_v_tn_f32_gathered(const wi_vconsts_f32 *k, const vi *w, const int nv,
                                           vf *out)
{
    enum { L = WI_VF_LANES };
    vf z[8], targ[8];
    mf lower[8], tail[8];
    int count[8], total = 0;
    for (int j = 0; j < nv; j++) {
        vf t, p, q;
        mf central;
        wi_v_tn_prefix_f32(k, w[j], &t, &p, &q, &lower[j], &central);
        tail[j] = mf_andnot(central, mf_all_lanes());
        z[j] = vf_set1(0.0f);
        if (mf_any(central)) {
            vf num, den;
            wi_v_ndtri_central_f32(q, &num, &den);
            z[j] = vf_div(num, den);
        }
        targ[j] = wi_v_tn_tail_arg_f32(t, p, lower[j]);
        count[j] = mf_count(tail[j]);
        total += count[j];
    }
    if (total > L * (nv - 1)) {
        /* gathering would not save a vector: evaluate in place */
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            vf num = vf_set1(0.0f), den = vf_set1(1.0f);
            wi_v_ndtri_tail_f32(k, targ[j], lower[j], tail[j], &num, &den);
            vf zt = vf_div(num, den);
            z[j] = vf_blend(tail[j], z[j], vf_blend(lower[j], zt, vf_neg(zt)));
        }
    } else if (total > 0) {
        const vi sign = vi_set1(UINT32_C(0x80000000));
        float arg_buf[8 * L + L], z_buf[8 * L + L];
        int off = 0;
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            vi a = vf_bits(targ[j]);
            vi_compress_store(arg_buf + off, tail[j], vi_blend(lower[j], a, vi_or(a, sign)));
            off += count[j];
        }
        for (int i = 0; i < L; i++) arg_buf[off + i] = 1.0f;   /* defined unused lanes */
        for (int v = 0; L * v < total; v++) {
            vi a_bits;
            memcpy(&a_bits, arg_buf + L * v, sizeof a_bits);
            mf low = mf_from_sign(a_bits);
            vf num = vf_set1(0.0f), den = vf_set1(1.0f);
            wi_v_ndtri_tail_f32(k, vf_abs(vf_from_bits(a_bits)), low, mf_all_lanes(), &num, &den);
            vf zt = vf_div(num, den);
            zt = vf_blend(low, zt, vf_neg(zt));
            memcpy(z_buf + L * v, &zt, sizeof zt);
        }
        off = 0;
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            z[j] = vf_expand_load(z[j], tail[j], z_buf + off);
            off += count[j];
        }
    }
    for (int j = 0; j < nv; j++) out[j] = wi_v_tn_finish_f32(k, z[j]);
}

/* The same at float64 working precision. */
WI_ALWAYS_INLINE void wi_v_tn_f64_gathered(const wi_vconsts_f64 *k, const vq *x, const int nv,
                                           vd *out)
{
    enum { L = WI_VD_LANES };
    vd z[8], targ[8];
    md lower[8], tail[8];
    int count[8], total = 0;
    for (int j = 0; j < nv; j++) {
        vd t, p, q;
        md central;
        wi_v_tn_prefix_f64(k, x[j], &t, &p, &q, &lower[j], &central);
        tail[j] = md_andnot(central, md_all_lanes());
        z[j] = vd_set1(0.0);
        if (md_any(central)) {
            vd num, den;
            wi_v_ndtri_central_f64(q, &num, &den);
            z[j] = vd_div(num, den);
        }
        targ[j] = wi_v_tn_tail_arg_f64(t, p, lower[j]);
        count[j] = md_count(tail[j]);
        total += count[j];
    }
    if (total > L * (nv - 1)) {
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            vd num = vd_set1(0.0), den = vd_set1(1.0);
            wi_v_ndtri_tail_f64(k, targ[j], lower[j], tail[j], &num, &den);
            vd zt = vd_div(num, den);
            z[j] = vd_blend(tail[j], z[j], vd_blend(lower[j], zt, vd_neg(zt)));
        }
    } else if (total > 0) {
        const vq sign = vq_set1(UINT64_C(0x8000000000000000));
        double arg_buf[8 * L + L], z_buf[8 * L + L];
        int off = 0;
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            vq a = vd_bits(targ[j]);
            vq_compress_store(arg_buf + off, tail[j], vq_blend(lower[j], a, vq_or(a, sign)));
            off += count[j];
        }
        for (int i = 0; i < L; i++) arg_buf[off + i] = 1.0;
        for (int v = 0; L * v < total; v++) {
            vq a_bits;
            memcpy(&a_bits, arg_buf + L * v, sizeof a_bits);
            md low = md_from_sign(a_bits);
            vd num = vd_set1(0.0), den = vd_set1(1.0);
            wi_v_ndtri_tail_f64(k, vd_abs(vd_from_bits(a_bits)), low, md_all_lanes(), &num, &den);
            vd zt = vd_div(num, den);
            zt = vd_blend(low, zt, vd_neg(zt));
            memcpy(z_buf + L * v, &zt, sizeof zt);
        }
        off = 0;
        for (int j = 0; j < nv; j++) {
            if (!count[j]) continue;
            z[j] = vd_expand_load(z[j], tail[j], z_buf + off);
            off += count[j];
        }
    }
    for (int j = 0; j < nv; j++) out[j] = wi_v_tn_finish_f64(k, z[j]);
}

/* ---- stores ------------------------------------------------------------- */

/* What a kernel stores: an output type (wi_out), or an ISA's variant of its
 * stores in the bits above (same bits out, other instructions). */
#define WI_KIND_VARIANT(out, n) ((out) | (n) << 8)
WI_ALWAYS_INLINE int wi_kind_out(int kind) { return kind & 0xff; }

/* Narrowing, as wi_f32_to_f16 / wi_f32_to_bf16. */

/* A NaN lane becomes the quiet NaN with the same sign and no payload, whose
 * hardware float16 conversion is sign | 0x7e00, the scalar rule. Other lanes
 * are converted by the hardware with round to nearest even, which is what
 * wi_f32_to_f16 computes (subnormals and overflow to inf included). */
WI_ALWAYS_INLINE vf wi_v_f16_prepare(vf x)
{
    vi bits = vf_bits(x);
    mf nan = vf_unord(x, x);
    vi quiet = vi_or(vi_and(bits, vi_set1(UINT32_C(0x80000000))), vi_set1(UINT32_C(0x7fc00000)));
    return vf_from_bits(vi_blend(nan, bits, quiet));
}

/* wi_f32_to_bf16 in each uint32 lane (result in the low 16 bits). */
WI_ALWAYS_INLINE vi wi_v_bf16_bits(vf x)
{
    vi bits = vf_bits(x);
    vi rounded = vi_srl(vi_add(bits, vi_add(vi_set1(0x7fff), vi_and(vi_srl(bits, 16), vi_set1(1)))), 16);
    vi quiet = vi_or(vi_srl(bits, 16), vi_set1(0x40));
    return vi_blend(vf_unord(x, x), rounded, quiet);
}

/* wi_f32_to_bf16 in the high 16 bits of each uint32 lane (the low 16 bits
 * are left over), for stores that gather the high halves themselves: no
 * shift back down. For lanes that are not NaN only, where this is the
 * scalar's own rounding (+-inf stay, the largest finite values round up to
 * inf, denormals round as any other bits); a NaN's low bits could carry
 * into its exponent. The lsb by two shifts: one constant fewer to keep in
 * a register (AVX2 has 16). */
WI_ALWAYS_INLINE vi wi_v_bf16_hi_not_nan(vi bits)
{
    return vi_add(vi_add(bits, vi_set1(0x7fff)), vi_srl(vi_sll(bits, 15), 31));
}

/* The same for every lane: a NaN lane keeps its bits with bit 22 set, whose
 * high half is the scalar's quiet NaN (bits >> 16) | 0x40. */
WI_ALWAYS_INLINE vi wi_v_bf16_hi(vf x)
{
    vi bits = vf_bits(x);
    return vi_blend(vf_unord(x, x), wi_v_bf16_hi_not_nan(bits), vi_or(bits, vi_set1(UINT32_C(0x00400000))));
}

#endif
