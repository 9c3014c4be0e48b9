/* Words -> samples, one Philox block at a time (scalar reference path).
 *
 * The element-to-word mapping is the stream contract (docs/contract.md 2):
 *   float32 working precision: element 4b+j takes word j of block b;
 *   float64: element 2b+j takes the 64-bit value (w[2j+1] << 32) | w[2j].
 * Normal samples pair elements (4b, 4b+1), (4b+2, 4b+3) in float32 and
 * (2b, 2b+1) in float64 for Box-Muller; truncated normal uses one word (or
 * one 64-bit value) per element through the inverse CDF. SIMD kernels must
 * perform exactly these operations in exactly this order. */
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

/* ---- Box-Muller: radius from (0, 1], angle from [0, 1) of a turn ----
 * Largest |z|: sqrt(-2 log 2^-24) = 5.768 (float32), sqrt(-2 log 2^-53) = 8.572. */
static inline void wi_boxmuller_f32(uint32_t w_radius, uint32_t w_angle, float *z0, float *z1)
{
    float u = (float)((w_radius >> 8) + 1u) * 0x1p-24f;
    float r = sqrtf(-2.0f * wi_logf(u));
    float s, c;
    wi_sincos_turn_f32(w_angle >> 8, &s, &c);
    *z0 = r * c;
    *z1 = r * s;
}

static inline void wi_boxmuller_f64(uint64_t x_radius, uint64_t x_angle, double *z0, double *z1)
{
    double u = (double)((x_radius >> 11) + 1u) * 0x1p-53;
    double r = sqrt(-2.0 * wi_log(u));
    double s, c;
    wi_sincos_turn_f64(x_angle >> 11, &s, &c);
    *z0 = r * c;
    *z1 = r * s;
}

/* ---- truncated standard normal by inverse CDF --------------------------
 * u in (0, 1) open; t = r0 + u r1 in (r0, 1]; p = pb t is the CDF value of
 * the reflected interval. Below 1/2 the tail's log is log t + log pb, exact
 * even when p underflows; above, log(1 - p). Result reflected back, clamped
 * to [a, b] against the approximation's last-ulp error. */
static inline float wi_truncnorm_f32(const wi_consts *c, uint32_t w)
{
    float u = ((float)(w >> 9) + 0.5f) * 0x1p-23f;
    float t = c->f_r0 + u * c->f_r1;
    float p = c->f_pb * t;
    int lower = p < 0.5f;
    float one_minus_p = 1.0f - p;
    float tail_arg = lower ? t : (one_minus_p > 0x1p-126f ? one_minus_p : 0x1p-126f);
    float log_tail = wi_logf(tail_arg);
    if (lower) log_tail = log_tail + c->f_logpb;
    float q = p - 0.5f;
    float z;
    if ((q < 0.0f ? -q : q) <= 0.425f) {
        z = wi_ndtri_central_f32(q);
    } else {
        z = wi_ndtri_tail_f32(sqrtf(-log_tail));
        if (lower) z = -z;
    }
    z = z * c->f_flip;
    z = z > c->f_lo ? z : c->f_lo;
    z = z < c->f_hi ? z : c->f_hi;
    return c->f_mean + c->f_std * z;
}

static inline double wi_truncnorm_f64(const wi_consts *c, uint64_t x)
{
    double u = ((double)(x >> 12) + 0.5) * 0x1p-52;
    double t = c->d_r0 + u * c->d_r1;
    double p = c->d_pb * t;
    int lower = p < 0.5;
    double one_minus_p = 1.0 - p;
    double tail_arg = lower ? t : (one_minus_p > 0x1p-1022 ? one_minus_p : 0x1p-1022);
    double log_tail = wi_log(tail_arg);
    if (lower) log_tail = log_tail + c->d_logpb;
    double q = p - 0.5;
    double z;
    if ((q < 0.0 ? -q : q) <= 0.425) {
        z = wi_ndtri_central_f64(q);
    } else {
        z = wi_ndtri_tail_f64(sqrt(-log_tail));
        if (lower) z = -z;
    }
    z = z * c->d_flip;
    z = z > c->d_lo ? z : c->d_lo;
    z = z < c->d_hi ? z : c->d_hi;
    return c->d_mean + c->d_std * z;
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
        float z[4];
        wi_boxmuller_f32(w.v[0], w.v[1], &z[0], &z[1]);
        wi_boxmuller_f32(w.v[2], w.v[3], &z[2], &z[3]);
        for (int j = 0; j < 4; j++) out[j] = c->f_mean + c->f_std * z[j];
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
        double z0, z1;
        wi_boxmuller_f64(x0, x1, &z0, &z1);
        out[0] = c->d_mean + c->d_std * z0;
        out[1] = c->d_mean + c->d_std * z1;
        break;
    }
    default:
        out[0] = wi_truncnorm_f64(c, x0);
        out[1] = wi_truncnorm_f64(c, x1);
        break;
    }
}

#endif
