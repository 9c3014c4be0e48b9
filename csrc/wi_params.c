/* Per-call setup: distribution constants, computed once in double.
 *
 * The normal CDF used to place truncation bounds is the library's own
 * (series and continued fraction on top of wi_exp/wi_log), so the constants
 * -- and with them the stream -- do not depend on the platform's libm. */
#include <math.h>
#include <string.h>
#include "wi_params.h"
#include "wi_math.h"

#define WI_SQRT1_2 0.70710678118654752440
#define WI_SQRT_PI 1.77245385090551602730
#define WI_INV_LN2 1.44269504088896338700
/* Bounds whose CDF is below about 1e-300 are out of AS 241's range. */
#define WI_TRUNC_FARTHEST_BOUND 37.0

static double wi_pow2(int n) /* 2^n for n in the normal exponent range */
{
    return wi_bits_f64((uint64_t)(n + 1023) << 52);
}

double wi_exp(double x)
{
    if (x < -745.2) return 0.0;
    if (x > 709.7) return INFINITY;
    double n = (double)(int64_t)(x * WI_INV_LN2 + (x >= 0 ? 0.5 : -0.5));
    double r = (x - n * WI_LN2_HI) - n * WI_LN2_LO;   /* |r| <= ln2/2 */
    /* Horner of sum r^k / k!, k = 0..13, written as nested (1 + r/k(...)). */
    double sum = 1.0;
    for (int k = 13; k >= 1; k--) sum = 1.0 + sum * r / (double)k;
    int ni = (int)n;
    int half = ni / 2;            /* two steps so 2^n may be subnormal */
    return sum * wi_pow2(half) * wi_pow2(ni - half);
}

/* erf(x) for 0 <= x < 0.8 by the positive series
 * erf x = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)). */
static double wi_erf_series(double x)
{
    double x2 = x * x, term = x, sum = x;
    for (int n = 1; n < 200; n++) {
        term = term * (2.0 * x2) / (double)(2 * n + 1);
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return 2.0 / WI_SQRT_PI * wi_exp(-x2) * sum;
}

/* exp(x^2) erfc(x) for x >= 0.8 by Laplace's continued fraction
 * erfc x = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))),
 * evaluated backwards from a fixed depth (300: double precision from x = 0.8). */
static double wi_erfcx_cf(double x)
{
    double f = x;
    for (int k = 300; k >= 1; k--) f = x + (0.5 * (double)k) / f;
    return 1.0 / (WI_SQRT_PI * f);
}

/* Results of wi_erfcx_cf already computed during one setup. The fraction
 * is 300 dependent divisions (about 1.5 us); one truncation setup asks for
 * it up to four times, often at the same x (|a| == |b|, or log CDF after
 * CDF of one bound). Reusing a value gives the same double, bit for bit. */
typedef struct {
    int n;
    double x[4], v[4];
} wi_cf_memo;

static double wi_erfcx_memo(wi_cf_memo *m, double x)
{
    if (m == NULL) return wi_erfcx_cf(x);
    for (int i = 0; i < m->n; i++)
        if (m->x[i] == x) return m->v[i];
    double v = wi_erfcx_cf(x);
    if (m->n < 4) { m->x[m->n] = x; m->v[m->n] = v; m->n++; }
    return v;
}

static double wi_norm_cdf_m(double z, wi_cf_memo *m)
{
    if (isnan(z)) return NAN;
    if (z == -INFINITY) return 0.0;
    if (z == INFINITY) return 1.0;
    double x = fabs(z) * WI_SQRT1_2;
    double tail; /* P(Z > |z|) = erfc(x)/2 */
    if (x < 0.8) tail = 0.5 * (1.0 - wi_erf_series(x));
    else tail = 0.5 * wi_exp(-0.5 * z * z) * wi_erfcx_memo(m, x);
    return z < 0 ? tail : 1.0 - tail;
}

static double wi_norm_logcdf_m(double z, wi_cf_memo *m)
{
    if (z == -INFINITY) return -INFINITY;
    if (z > 3.0) {                 /* log(1 - t) for a small upper tail t */
        double t = wi_norm_cdf_m(-z, m);
        return -(t + t * t * (0.5 + t * (1.0 / 3.0 + t * 0.25)));
    }
    if (z > -5.0) return wi_log(wi_norm_cdf_m(z, m));
    return -0.5 * z * z + wi_log(0.5 * wi_erfcx_memo(m, -z * WI_SQRT1_2));
}

double wi_norm_cdf(double z) { return wi_norm_cdf_m(z, NULL); }
double wi_norm_logcdf(double z) { return wi_norm_logcdf_m(z, NULL); }

static void wi_init_uniform(wi_consts *c, double low, double high)
{
    c->d_low = low;
    c->d_range = high - low;
    c->d_high_below = nextafter(high, -INFINITY);
    float fl = (float)low, fh = (float)high;
    c->f_low = fl;
    c->f_range = (float)(high - low);
    c->f_high_below = nextafterf(fh, -INFINITY);
    c->f_step = c->f_range * 0x1p-24f;
    c->d_step = c->d_range * 0x1p-53;
    c->steps_exact = c->f_range >= 0x1p-102f && c->d_range >= 0x1p-969;
}

/* The truncation constants in double, from the bounds (a, b) alone. */
typedef struct {
    double a, b, flip, r0, r1, pb, logpb;
} wi_trunc_setup;

static int wi_trunc_compute(wi_trunc_setup *t, double a, double b)
{
    if (!(a < b)) return -1;
    double flip = 1.0, lo = a, hi = b;
    if (a > -b) { flip = -1.0; lo = -b; hi = -a; }    /* lean left: hi <= |lo| */
    if (hi < -WI_TRUNC_FARTHEST_BOUND) return -1;
    wi_cf_memo m = {0};
    double pb = wi_norm_cdf_m(hi, &m), logpb = wi_norm_logcdf_m(hi, &m), r0, r1;
    if (hi < -5.0) {                /* deep tail: ratios in the log domain */
        r0 = wi_exp(wi_norm_logcdf_m(lo, &m) - logpb);
        r1 = 1.0 - r0;
    } else {
        double pa = wi_norm_cdf_m(lo, &m);
        r0 = pa / pb;
        r1 = (pb - pa) / pb;
    }
    if (!(r1 > 0.0)) return -1;
    *t = (wi_trunc_setup){a, b, flip, r0, r1, pb, logpb};
    return 0;
}

/* The last few bounds set up on this thread: a model initializes layer after
 * layer with the same (a, b), and a hit skips the CDFs entirely. Per thread,
 * so no locking; an entry is a pure function of its (a, b), matched bit for
 * bit (memcmp, so -0.0 and 0.0 stay apart). */
#define WI_TRUNC_CACHE 4
static _Thread_local wi_trunc_setup wi_trunc_cache[WI_TRUNC_CACHE];
static _Thread_local int wi_trunc_cache_n, wi_trunc_cache_next;

static int wi_trunc_lookup(wi_trunc_setup *t, double a, double b)
{
    for (int i = 0; i < wi_trunc_cache_n; i++) {
        const wi_trunc_setup *e = &wi_trunc_cache[i];
        if (memcmp(&e->a, &a, sizeof a) == 0 && memcmp(&e->b, &b, sizeof b) == 0) {
            *t = *e;
            return 0;
        }
    }
    if (wi_trunc_compute(t, a, b) != 0) return -1;
    wi_trunc_cache[wi_trunc_cache_next] = *t;
    wi_trunc_cache_next = (wi_trunc_cache_next + 1) % WI_TRUNC_CACHE;
    if (wi_trunc_cache_n < WI_TRUNC_CACHE) wi_trunc_cache_n++;
    return 0;
}

static int wi_init_truncnorm(wi_consts *c, double a, double b)
{
    wi_trunc_setup t;
    if (wi_trunc_lookup(&t, a, b) != 0) return -1;
    c->d_r0 = t.r0; c->d_r1 = t.r1; c->d_pb = t.pb; c->d_logpb = t.logpb;
    c->d_flip = t.flip; c->d_lo = a; c->d_hi = b;
    c->f_r0 = (float)t.r0; c->f_r1 = (float)t.r1; c->f_pb = (float)t.pb;
    c->f_logpb = (float)t.logpb; c->f_flip = (float)t.flip;
    c->f_lo = (float)a; c->f_hi = (float)b;
    if (!(c->f_r1 > 0.0f)) return -1;
    return 0;
}

int wi_params_init(wi_params *p, int dist, int out, uint64_t key0, uint64_t key1,
                   uint64_t stream, uint64_t base_block, double p0, double p1,
                   double p2, double p3)
{
    memset(p, 0, sizeof *p);
    if (dist < 0 || dist >= WI_DIST_COUNT || out < 0 || out >= WI_OUT_COUNT) return -1;
    if ((dist == WI_DIST_RAW) != (out == WI_OUT_U32)) return -1;
    p->key.v[0] = (uint32_t)key0;
    p->key.v[1] = (uint32_t)key1;
    p->stream = stream;
    p->base_block = base_block;
    p->dist = dist;
    p->out = out;
    wi_consts *c = &p->c;
    c->d_mean = p0; c->d_std = p1;
    c->f_mean = (float)p0; c->f_std = (float)p1;
    switch (dist) {
    case WI_DIST_UNIFORM:
        if (!(p0 < p1) || !isfinite(p1 - p0)) return -1;
        wi_init_uniform(c, p0, p1);
        return 0;
    case WI_DIST_NORMAL:
        return (isfinite(p0) && isfinite(p1) && p1 >= 0.0) ? 0 : -1;
    case WI_DIST_TRUNCNORM:
        if (!isfinite(p0) || !isfinite(p1) || !(p1 >= 0.0)) return -1;
        return wi_init_truncnorm(c, p2, p3);
    default:
        return 0;
    }
}
