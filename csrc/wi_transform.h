/* Words -> samples, one Philox block at a time (scalar reference path).
 *
 * The element-to-word mapping is the stream contract (docs/contract.md 2):
 *   float32 working precision: element 4b+j takes word j of block b;
 *   float64: element 2b+j takes the 64-bit value (w[2j+1] << 32) | w[2j].
 * Normal samples pair elements (4b, 4b+1), (4b+2, 4b+3) in float32 and
 * (2b, 2b+1) in float64 for Box-Muller; truncated normal uses one word (or
 * one 64-bit value) per element through the inverse CDF. SIMD kernels must
 * perform exactly these operations in exactly this order, fusing exactly
 * the fma/fmaf calls (stream version 2). Uniforms fuse nothing: low + u *
 * range stays two roundings, the values of stream version 1. */
#ifndef WI_TRANSFORM_H
#define WI_TRANSFORM_H

#include <math.h>
#include "wi_params.h"
#include "wi_math.h"

/* ---- uniforms ---- */
static inline float wi_u01_f32(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }
static inline double wi_u01_f64(uint64_t x) { return (double)(x >> 11) * 0x1p-53; }

static inline float wi_uniform_f32(const wi_consts *c, uint32_t w)
{
    float x = c->f_low + wi_u01_f32(w) * c->f_range;
    return x < c->f_high_below ? x : c->f_high_below;   /* never reach high */
}

static inline double wi_uniform_f64(const wi_consts *c, uint64_t x)
{
    double v = c->d_low + wi_u01_f64(x) * c->d_range;
    return v < c->d_high_below ? v : c->d_high_below;
}

/* ---- Box-Muller: radius from (0, 1], angle from [0, 1) of a turn, then
 * mean + std z ----
 * Largest |z|: sqrt(-2 log 2^-24) = 5.768 (float32), sqrt(-2 log 2^-53) = 8.572. */
static inline void wi_normal_f32(const wi_consts *k, uint32_t w_radius, uint32_t w_angle,
                                 float *z0, float *z1)
{
    /* u = (w + 1) 2^-24, the 2^-24 applied in the log's exponent */
    float r = sqrtf(wi_logf_scaled((float)((w_radius >> 8) + 1u), -24, -2.0f));
    float s, c;
    wi_sincos_turn_f32(w_angle >> 8, &s, &c);
    float rs = k->f_std * r;     /* mean + (std r) cos: one product a pair */
    *z0 = fmaf(rs, c, k->f_mean);
    *z1 = fmaf(rs, s, k->f_mean);
}

static inline void wi_normal_f64(const wi_consts *k, uint64_t x_radius, uint64_t x_angle,
                                 double *z0, double *z1)
{
    double r = sqrt(wi_log_scaled((double)((x_radius >> 11) + 1u), -53, -2.0));
    double s, c;
    wi_sincos_turn_f64(x_angle >> 11, &s, &c);
    double rs = k->d_std * r;
    *z0 = fma(rs, c, k->d_mean);
    *z1 = fma(rs, s, k->d_mean);
}

/* ---- truncated standard normal by inverse CDF --------------------------
 * u in (0, 1) open; t = r0 + u r1 in (r0, 1]; p = pb t is the CDF value of
 * the reflected interval. Below 1/2 the tail's log is log t + log pb, exact
 * even when p underflows; above, log(1 - p). Result reflected back, clamped
 * to [a, b] against the approximation's last-ulp error. */
static inline float wi_truncnorm_f32(const wi_consts *c, uint32_t w)
{
    /* (k + 1/2) 2^-23 as one fma: exact either way, so the same value */
    float u = fmaf((float)(w >> 9), 0x1p-23f, 0x1p-24f);
    float t = fmaf(u, c->f_r1, c->f_r0);
    float p = c->f_pb * t;
    int lower = p < 0.5f;
    float one_minus_p = 1.0f - p;
    float tail_arg = lower ? t : (one_minus_p > 0x1p-126f ? one_minus_p : 0x1p-126f);
    float neg_log = wi_logf_scaled(tail_arg, 0, -1.0f);   /* -log, no negation */
    if (lower) neg_log = neg_log - c->f_logpb;
    float q = p - 0.5f;
    float z;
    if ((q < 0.0f ? -q : q) <= 0.425f) {
        z = wi_ndtri_central_f32(q);
    } else {
        z = wi_ndtri_tail_f32(sqrtf(neg_log));
        if (lower) z = -z;
    }
    z = z * c->f_flip;
    z = z > c->f_lo ? z : c->f_lo;
    z = z < c->f_hi ? z : c->f_hi;
    return fmaf(c->f_std, z, c->f_mean);
}

static inline double wi_truncnorm_f64(const wi_consts *c, uint64_t x)
{
    double u = fma((double)(x >> 12), 0x1p-52, 0x1p-53);   /* exact, as f32 */
    double t = fma(u, c->d_r1, c->d_r0);
    double p = c->d_pb * t;
    int lower = p < 0.5;
    double one_minus_p = 1.0 - p;
    double tail_arg = lower ? t : (one_minus_p > 0x1p-1022 ? one_minus_p : 0x1p-1022);
    double neg_log = wi_log_scaled(tail_arg, 0, -1.0);
    if (lower) neg_log = neg_log - c->d_logpb;
    double q = p - 0.5;
    double z;
    if ((q < 0.0 ? -q : q) <= 0.425) {
        z = wi_ndtri_central_f64(q);
    } else {
        z = wi_ndtri_tail_f64(sqrt(neg_log));
        if (lower) z = -z;
    }
    z = z * c->d_flip;
    z = z > c->d_lo ? z : c->d_lo;
    z = z < c->d_hi ? z : c->d_hi;
    return fma(c->d_std, z, c->d_mean);
}

/* ---- one block -> its samples ---- */
static inline void wi_block_f32(const wi_params *p, wi_block w, float out[4])
{
    const wi_consts *c = &p->c;
    switch (p->dist) {
    case WI_DIST_UNIFORM:
        for (int j = 0; j < 4; j++) out[j] = wi_uniform_f32(c, w.v[j]);
        break;
    case WI_DIST_NORMAL: {
        wi_normal_f32(c, w.v[0], w.v[1], &out[0], &out[1]);
        wi_normal_f32(c, w.v[2], w.v[3], &out[2], &out[3]);
        break;
    }
    default: /* WI_DIST_TRUNCNORM */
        for (int j = 0; j < 4; j++) out[j] = wi_truncnorm_f32(c, w.v[j]);
        break;
    }
}

static inline void wi_block_f64(const wi_params *p, wi_block w, double out[2])
{
    const wi_consts *c = &p->c;
    uint64_t x0 = ((uint64_t)w.v[1] << 32) | w.v[0];
    uint64_t x1 = ((uint64_t)w.v[3] << 32) | w.v[2];
    switch (p->dist) {
    case WI_DIST_UNIFORM:
        out[0] = wi_uniform_f64(c, x0);
        out[1] = wi_uniform_f64(c, x1);
        break;
    case WI_DIST_NORMAL: {
        wi_normal_f64(c, x0, x1, &out[0], &out[1]);
        break;
    }
    default:
        out[0] = wi_truncnorm_f64(c, x0);
        out[1] = wi_truncnorm_f64(c, x1);
        break;
    }
}

#endif
