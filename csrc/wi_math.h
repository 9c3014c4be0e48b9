/* The library's own elementary functions for the sampling path.
 *
 * Every function here uses only +, -, *, /, sqrt, fused multiply-add (C99
 * fma/fmaf, correctly rounded: one rounding of a * b + c), conversions,
 * comparisons and bit operations, evaluated in a fixed order, and the build
 * disables FMA contraction (-ffp-contract=off), so only the explicit fma
 * calls fuse. Those operations are correctly rounded by IEEE 754, so a SIMD
 * kernel that performs the same operations in the same order (its fused
 * instructions where fma is called here) produces the same bits as this
 * scalar code, on every CPU and OS. That is why libm is called while
 * sampling for fma/fmaf only (exact by definition), never for log or sin.
 * Which products fuse is stream version 2 (docs/contract.md 2).
 *
 * Domain notes (the callers guarantee them):
 *   wi_log*    x positive and normal (never 0, subnormal, inf or NaN).
 *   wi_sincos2pi_*  take the angle as an integer fraction of a turn, so the
 *              range reduction is exact integer arithmetic. */
#ifndef WI_MATH_H
#define WI_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t wi_f32_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float wi_bits_f32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline uint64_t wi_f64_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double wi_bits_f64(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* ---- natural log ------------------------------------------------------
 * x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| <= 0.1716, as an odd series in s.
 *
 * wi_logf_scaled(x, shift, k) = k * log(x * 2^shift) for k a power of two:
 * k is folded into every constant, and scaling by a power of two commutes
 * with each rounding here (no intermediate is subnormal), so the bits are
 * k times those of log(x * 2^shift); shift is added to the exponent, so a
 * caller's exact power-of-two scaling of x costs nothing. Box-Muller takes
 * -2 log u from (k + 1) and shift -24, the truncated normal -log directly.
 * m and e come from integer arithmetic on the bits (offset by the first
 * mantissa above sqrt(2)'s float so that m = sqrt(2) rounded stays whole). */
#define WI_LN2_HI_F 0.693359375f            /* 8 significant bits: e*hi exact */
#define WI_LN2_LO_F -2.12194440e-4f
#define WI_LN2_HI 6.93147180369123816490e-01 /* fdlibm split of ln 2 */
#define WI_LN2_LO 1.90821492927058770002e-10
#define WI_LOGF_MBASE UINT32_C(0x3f3504f4)           /* just above sqrt(1/2) */
#define WI_LOG_MBASE UINT64_C(0x3fe6a09e667f3bce)

static inline float wi_logf_scaled(float x, int32_t shift, float k)
{
    /* t = bits - MBASE + 2^30 (positive): its exponent field is e + 128,
     * its mantissa field m's offset from MBASE */
    uint32_t t = wi_f32_bits(x) + (UINT32_C(0x40000000) - WI_LOGF_MBASE);
    int32_t e = (int32_t)(t >> 23) - (128 - shift);
    float m = wi_bits_f32((t & UINT32_C(0x007fffff)) + WI_LOGF_MBASE);
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float poly = k * (2.0f / 9.0f);
    poly = fmaf(poly, s2, k * (2.0f / 7.0f));
    poly = fmaf(poly, s2, k * (2.0f / 5.0f));
    poly = fmaf(poly, s2, k * (2.0f / 3.0f));
    float logm = fmaf(s, poly * s2, s * (2.0f * k));
    float ef = (float)e;
    /* e * hi is exact (8-bit hi), so the outer fma is a plain sum */
    return fmaf(ef, k * WI_LN2_HI_F, fmaf(ef, k * WI_LN2_LO_F, logm));
}

static inline float wi_logf(float x) { return wi_logf_scaled(x, 0, 1.0f); }

static inline double wi_log_scaled(double x, int64_t shift, double k)
{
    uint64_t t = wi_f64_bits(x) + ((UINT64_C(1) << 62) - WI_LOG_MBASE);
    int64_t e = (int64_t)(t >> 52) - (1024 - shift);
    double m = wi_bits_f64((t & UINT64_C(0x000fffffffffffff)) + WI_LOG_MBASE);
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double poly = k * (2.0 / 23.0);
    poly = fma(poly, s2, k * (2.0 / 21.0));
    poly = fma(poly, s2, k * (2.0 / 19.0));
    poly = fma(poly, s2, k * (2.0 / 17.0));
    poly = fma(poly, s2, k * (2.0 / 15.0));
    poly = fma(poly, s2, k * (2.0 / 13.0));
    poly = fma(poly, s2, k * (2.0 / 11.0));
    poly = fma(poly, s2, k * (2.0 / 9.0));
    poly = fma(poly, s2, k * (2.0 / 7.0));
    poly = fma(poly, s2, k * (2.0 / 5.0));
    poly = fma(poly, s2, k * (2.0 / 3.0));
    double logm = fma(s, poly * s2, s * (2.0 * k));
    double ef = (double)e;
    return fma(ef, k * WI_LN2_HI, fma(ef, k * WI_LN2_LO, logm));   /* e * hi exact */
}

static inline double wi_log(double x) { return wi_log_scaled(x, 0, 1.0); }

/* ---- sin and cos of 2*pi*k/2^24 (float) and 2*pi*k/2^53 (double) -------
 * The turn k is split exactly into a quadrant n and a remainder f in
 * [-1/8, 1/8] of a turn; sin(2 pi f) and cos(2 pi f) are Taylor series in f
 * with 2 pi folded into the coefficients (error below half an ulp). */
static inline void wi_sincos_turn_f32(uint32_t k24, float *s, float *c)
{
    uint32_t n = (k24 + (UINT32_C(1) << 21)) >> 22;       /* nearest quarter */
    int32_t r = (int32_t)k24 - (int32_t)(n << 22);         /* |r| <= 2^21 */
    float f = (float)r * 0x1p-24f;
    float f2 = f * f;
    float sp = 42.058693944897655f;
    sp = fmaf(sp, f2, -76.70585975306139f);
    sp = fmaf(sp, f2, 81.60524927607506f);
    sp = fmaf(sp, f2, -41.34170224039976f);
    sp = fmaf(sp, f2, 6.283185307179586f);
    float sn = sp * f;
    float cp = -26.4262567833744f;
    cp = fmaf(cp, f2, 60.24464137187666f);
    cp = fmaf(cp, f2, -85.45681720669373f);
    cp = fmaf(cp, f2, 64.9393940226683f);
    cp = fmaf(cp, f2, -19.739208802178716f);
    float cs = fmaf(cp, f2, 1.0f);
    switch (n & 3u) {
    case 0: *s = sn;  *c = cs;  break;
    case 1: *s = cs;  *c = -sn; break;
    case 2: *s = -sn; *c = -cs; break;
    default: *s = -cs; *c = sn; break;
    }
}

static inline void wi_sincos_turn_f64(uint64_t k53, double *s, double *c)
{
    uint64_t n = (k53 + (UINT64_C(1) << 50)) >> 51;
    int64_t r = (int64_t)k53 - (int64_t)(n << 51);        /* |r| <= 2^50 */
    double f = (double)r * 0x1p-53;
    double f2 = f * f;
    double sp = 0.10422916220813984;
    sp = fma(sp, f2, -0.7181223017785006);
    sp = fma(sp, f2, 3.819952584848282);
    sp = fma(sp, f2, -15.09464257682299);
    sp = fma(sp, f2, 42.058693944897655);
    sp = fma(sp, f2, -76.70585975306139);
    sp = fma(sp, f2, 81.60524927607506);
    sp = fma(sp, f2, -41.34170224039976);
    sp = fma(sp, f2, 6.283185307179586);
    double sn = sp * f;
    double cp = -0.03638284114254567;
    cp = fma(cp, f2, 0.28200596845579123);
    cp = fma(cp, f2, -1.714390711088672);
    cp = fma(cp, f2, 7.903536371318469);
    cp = fma(cp, f2, -26.4262567833744);
    cp = fma(cp, f2, 60.24464137187666);
    cp = fma(cp, f2, -85.45681720669373);
    cp = fma(cp, f2, 64.9393940226683);
    cp = fma(cp, f2, -19.739208802178716);
    double cs = fma(cp, f2, 1.0);
    switch (n & 3u) {
    case 0: *s = sn;  *c = cs;  break;
    case 1: *s = cs;  *c = -sn; break;
    case 2: *s = -sn; *c = -cs; break;
    default: *s = -cs; *c = sn; break;
    }
}

/* ---- inverse normal CDF (Wichura, AS 241) ------------------------------
 * Split in the pieces a SIMD kernel evaluates for all lanes and blends:
 *   central: |p - 1/2| <= 0.425, a rational function of 0.180625 - q^2;
 *   tail:    s = sqrt(-log(min(p, 1 - p))), rational in s - 1.6 (s <= 5)
 *            or s - 5 (s > 5), negated when p < 1/2.
 * Float32 uses PPND7 (about 1e-7 relative), float64 PPND16 (about 1e-16).
 * The tail takes -log of the tail probability directly, so a caller can
 * pass it from a log-domain computation when the probability underflows. */
/* The coefficients, highest power first, declared once for the scalar and
 * the SIMD kernels (wi_simd_common.h). Each polynomial is evaluated by
 * Horner's rule in this order, fma(c[0], r, c[1]), ..., which gives the
 * same bits on every path. */
static const float wi_as241_central_num_f32[4] = {
    5.9109374720e+01f, 1.5929113202e+02f, 5.0434271938e+01f, 3.3871327179e+00f};
static const float wi_as241_central_den_f32[4] = {
    6.7187563600e+01f, 7.8757757664e+01f, 1.7895169469e+01f, 1.0f};
static const float wi_as241_near_num_f32[4] = {
    1.7023821103e-01f, 1.3067284816e+00f, 2.7568153900e+00f, 1.4234372777e+00f};
static const float wi_as241_near_den_f32[3] = {1.2021132975e-01f, 7.3700164250e-01f, 1.0f};
static const float wi_as241_far_num_f32[4] = {
    1.7337203997e-02f, 4.2868294337e-01f, 3.0812263860e+00f, 6.6579051150e+00f};
static const float wi_as241_far_den_f32[3] = {1.2258202635e-02f, 2.4197894225e-01f, 1.0f};

static const double wi_as241_central_num_f64[8] = {
    2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
    4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
    1.3314166789178437745e+2, 3.3871328727963666080e+0};
static const double wi_as241_central_den_f64[8] = {
    5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
    2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
    4.2313330701600911252e+1, 1.0};
static const double wi_as241_near_num_f64[8] = {
    7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
    1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
    4.63033784615654529590e+0, 1.42343711074968357734e+0};
static const double wi_as241_near_den_f64[8] = {
    1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
    1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
    2.05319162663775882187e+0, 1.0};
static const double wi_as241_far_num_f64[8] = {
    2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
    2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
    5.46378491116411436990e+0, 6.65790464350110377720e+0};
static const double wi_as241_far_den_f64[8] = {
    2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
    7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
    5.99832206555887937690e-1, 1.0};

/* fma(c[0], r, c[1]), ... written out, so the compiler folds the
 * coefficients to constants before it weighs inlining (a loop here made the
 * scalar kernel's inliner outline wi_boxmuller_f32: +1.7 instructions a
 * sample). HORNER3/4 are float (the f32 tables), HORNER8 double. */
#define WI_HORNER3(c, r) fmaf(fmaf((c)[0], (r), (c)[1]), (r), (c)[2])
#define WI_HORNER4(c, r) fmaf(WI_HORNER3(c, r), (r), (c)[3])
#define WI_HORNER8(c, r)                                                              \
    fma(fma(fma(fma(fma(fma(fma((c)[0], (r), (c)[1]), (r), (c)[2]), (r), (c)[3]), (r), \
                    (c)[4]), (r), (c)[5]), (r), (c)[6]), (r), (c)[7])

static inline float wi_ndtri_central_f32(float q)
{
    float r = fmaf(-q, q, 0.180625f);
    return q * WI_HORNER4(wi_as241_central_num_f32, r) / WI_HORNER4(wi_as241_central_den_f32, r);
}

static inline float wi_ndtri_tail_f32(float s) /* s = sqrt(-log tail prob) */
{
    if (s <= 5.0f) {
        float r = s - 1.6f;
        return WI_HORNER4(wi_as241_near_num_f32, r) / WI_HORNER3(wi_as241_near_den_f32, r);
    }
    float r = s - 5.0f;
    return WI_HORNER4(wi_as241_far_num_f32, r) / WI_HORNER3(wi_as241_far_den_f32, r);
}

static inline double wi_ndtri_central_f64(double q)
{
    double r = fma(-q, q, 0.180625);
    return q * WI_HORNER8(wi_as241_central_num_f64, r) / WI_HORNER8(wi_as241_central_den_f64, r);
}

static inline double wi_ndtri_tail_f64(double s)
{
    if (s <= 5.0) {
        double r = s - 1.6;
        return WI_HORNER8(wi_as241_near_num_f64, r) / WI_HORNER8(wi_as241_near_den_f64, r);
    }
    double r = s - 5.0;
    return WI_HORNER8(wi_as241_far_num_f64, r) / WI_HORNER8(wi_as241_far_den_f64, r);
}

/* ---- narrowing float32 -> 16-bit, round to nearest even ----------------
 * Bit for bit what numpy's astype(float16) and ml_dtypes' astype(bfloat16)
 * give, including subnormals, overflow to inf and NaN. */
static inline uint16_t wi_f32_to_f16(float value)
{
    uint32_t x = wi_f32_bits(value);
    uint32_t sign = x & UINT32_C(0x80000000);
    uint16_t out;
    x ^= sign;
    if (x >= UINT32_C(0x47800000)) {                 /* >= 65536, inf or NaN */
        out = (x > UINT32_C(0x7f800000)) ? 0x7e00 : 0x7c00;
    } else if (x < UINT32_C(0x38800000)) {           /* below 2^-14: subnormal */
        /* Adding 0.5 aligns the half subnormal's bits at the bottom and the
         * FPU rounds to nearest even for us. */
        float shifted = wi_bits_f32(x) + 0.5f;
        out = (uint16_t)(wi_f32_bits(shifted) - UINT32_C(0x3f000000));
    } else {
        uint32_t mant_odd = (x >> 13) & 1u;
        x += UINT32_C(0xc8000fff) + mant_odd;        /* rebias exponent, round */
        out = (uint16_t)(x >> 13);
    }
    return (uint16_t)(out | (sign >> 16));
}

static inline uint16_t wi_f32_to_bf16(float value)
{
    uint32_t x = wi_f32_bits(value);
    if ((x & UINT32_C(0x7fffffff)) > UINT32_C(0x7f800000))
        return (uint16_t)((x >> 16) | 0x40u);       /* quiet NaN */
    x += UINT32_C(0x7fff) + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

#endif
