/* What a fill computes: the distribution, its constants in both working
 * precisions, and where in the stream it reads. Built once per call by
 * wi_params_init (wi_params.c); read-only while threads fill. */
#ifndef WI_PARAMS_H
#define WI_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include "wi_philox.h"

typedef enum {
    WI_DIST_RAW = 0,        /* the stream's uint32 words */
    WI_DIST_UNIFORM = 1,    /* p0 = low, p1 = high */
    WI_DIST_NORMAL = 2,     /* p0 = mean, p1 = std */
    WI_DIST_TRUNCNORM = 3,  /* p0 = mean, p1 = std, p2 = a, p3 = b (in std units) */
    WI_DIST_COUNT = 4
} wi_dist;

typedef enum {
    WI_OUT_F32 = 0, WI_OUT_F64 = 1, WI_OUT_F16 = 2, WI_OUT_BF16 = 3, WI_OUT_U32 = 4,
    WI_OUT_COUNT = 5
} wi_out;

/* Constants of the per-element transform. Index [0] of a pair is the
 * float32 working precision, [1] float64; see wi_transform.h for use. */
typedef struct {
    float f_low, f_range, f_high_below;           /* uniform */
    double d_low, d_range, d_high_below;
    /* range / 2^24 and range / 2^53, one step of u's integer k: the SIMD
     * kernels compute low + k * step, one multiply fewer, which equals the
     * scalar low + (k * 2^-24) * range (the same real product, rounded once)
     * while the steps are normal numbers; steps_exact says they are. */
    float f_step;
    double d_step;
    int steps_exact;
    float f_mean, f_std;                          /* normal and truncated */
    double d_mean, d_std;
    /* truncated normal, after reflecting so the interval leans left:
     * p = pb * (r0 + u * r1) is the CDF value, logpb = log(pb). */
    float f_r0, f_r1, f_pb, f_logpb, f_flip, f_lo, f_hi;
    double d_r0, d_r1, d_pb, d_logpb, d_flip, d_lo, d_hi;
} wi_consts;

typedef struct {
    wi_key key;
    uint64_t stream;
    uint64_t base_block; /* added to every block number (Generator offsets) */
    int dist;            /* wi_dist */
    int out;             /* wi_out */
    wi_consts c;
} wi_params;

/* Fill *p; returns 0, or -1 if the parameters are unusable (the Python layer
 * validates first, so this is a last guard against crashes). */
int wi_params_init(wi_params *p, int dist, int out, uint64_t seed_key0,
                   uint64_t seed_key1, uint64_t stream, uint64_t base_block,
                   double p0, double p1, double p2, double p3);

/* Elements of a block: 4 for float32 working precision and raw words, 2 for float64. */
static inline int wi_per_block(int out) { return out == WI_OUT_F64 ? 2 : 4; }
/* Bytes per element of out's type; inline so the SIMD loops make no call. */
static inline size_t wi_itemsize(int out)
{
    return out == WI_OUT_F64 ? 8 : (out == WI_OUT_F16 || out == WI_OUT_BF16) ? 2 : 4;
}

/* Standard normal CDF and its log in double, the library's own (setup only). */
double wi_norm_cdf(double z);
double wi_norm_logcdf(double z);
double wi_exp(double x);

#endif
