/* One SIMD block kernel against the scalar kernel, bit for bit, called
 * directly on block ranges: every distribution and output type, parameters
 * that reach every branch (far tails, float16 subnormals and overflow,
 * float32 inf and NaN), block counts around the SIMD step, the 2**32-block
 * carry, and unaligned outputs.
 *
 * KERNEL_FOR names the kernel chooser under test (default
 * wi_kernel_avx512_for) and KERNEL_BF16 its second argument (default 0:
 * the AVX-512 kernels without AVX512_BF16; 1 checks their bfloat16
 * narrowing by vcvtne2ps2bf16, on a CPU that has it). tools/avx512_emulated.sh builds it with the AVX-512
 * kernel on SIMDe (tests/c/emulated_avx512), so the AVX-512 code is checked
 * on CPUs without AVX-512; tests/test_isa_paths.py runs that script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wi_fill.h"
#include "wi_kernel_simd.h"

#ifndef KERNEL_FOR
#define KERNEL_FOR wi_kernel_avx512_for
#endif
#ifndef KERNEL_BF16
#define KERNEL_BF16 0
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

typedef struct { const char *name; int dist; double p0, p1, p2, p3; } kcase;

static const double INF = 1.0 / 0.0;

static const kcase CASES[] = {
    {"random", WI_DIST_UNIFORM, 0.0, 1.0, 0, 0},
    {"uniform(-0.3,0.7)", WI_DIST_UNIFORM, -0.3, 0.7, 0, 0},
    {"uniform(-1e38,1e38)", WI_DIST_UNIFORM, -1e38, 1e38, 0, 0},
    {"uniform(1e5,1e5+1)", WI_DIST_UNIFORM, 1e5, 1e5 + 1, 0, 0},
    {"uniform(-1e-30,7.5)", WI_DIST_UNIFORM, -1e-30, 7.5, 0, 0},
    {"standard_normal", WI_DIST_NORMAL, 0.0, 1.0, 0, 0},
    {"normal(3.5,0.02)", WI_DIST_NORMAL, 3.5, 0.02, 0, 0},
    {"normal(0,1e-6)", WI_DIST_NORMAL, 0.0, 1e-6, 0, 0},
    {"normal(-7,2e4)", WI_DIST_NORMAL, -7.0, 2e4, 0, 0},
    {"normal(1e39,1e39)", WI_DIST_NORMAL, 1e39, 1e39, 0, 0},
    {"truncnorm(-2,2)", WI_DIST_TRUNCNORM, 0.0, 1.0, -2.0, 2.0},
    {"truncnorm(0,inf)", WI_DIST_TRUNCNORM, 0.0, 1.0, 0.0, 1.0 / 0.0},
    {"truncnorm(-0.1,0.1)", WI_DIST_TRUNCNORM, 0.0, 1.0, -0.1, 0.1},
    {"truncnorm(3,8)", WI_DIST_TRUNCNORM, 0.0, 1.0, 3.0, 8.0},
    {"truncnorm(-inf,-4)", WI_DIST_TRUNCNORM, 0.0, 1.0, -1.0 / 0.0, -4.0},
    {"truncnorm(-30,-29)", WI_DIST_TRUNCNORM, 0.0, 1.0, -30.0, -29.0},
    {"truncnorm(-inf,inf)", WI_DIST_TRUNCNORM, 0.0, 1.0, -1.0 / 0.0, 1.0 / 0.0},
    {"truncnorm(-1,30)", WI_DIST_TRUNCNORM, 0.0, 1.0, -1.0, 30.0},
    {"truncnorm loc scale", WI_DIST_TRUNCNORM, 0.25, 0.02, -2.0, 2.0},
};

static const struct { uint64_t key0, key1, stream; } SEEDS[] = {
    {0, 0, 0},
    {0xffffffffu, 0xffffffffu, 0x9e3779b97f4a7c15u},
    {12345, 0, 0xffffffffffffffffu},
};

static const uint64_t STARTS[] = {0, 5, (1ull << 32) - 37, (1ull << 62) + 11};
static const size_t COUNTS[] = {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100003};

static int failures = 0, passes = 0;

/* Compare kernel and scalar on one block range, the output offset by
 * `shift` bytes from an aligned buffer. */
static void compare(const wi_params *p, wi_block_kernel k, uint64_t b0, size_t n, size_t shift,
                    const char *what)
{
    size_t bytes = n * (p->out == WI_OUT_F64 ? 16 : 4 * wi_itemsize(p->out));
    unsigned char *want = malloc(bytes + 64), *got = malloc(bytes + 64);
    memset(want, 0xa5, bytes + 64);
    memset(got, 0x5a, bytes + 64);   /* different sentinels: unwritten bytes differ */
    wi_kernel_scalar(p, b0, n, want + shift);
    k(p, b0, n, got + shift);
    size_t bad = bytes;
    for (size_t i = 0; i < bytes; i++)
        if (want[shift + i] != got[shift + i]) { bad = i; break; }
    if (bad == bytes) {
        passes++;
    } else {
        failures++;
        if (failures <= 20)
            fprintf(stderr, "FAIL %s out %d: blocks [%llu, +%zu) shift %zu: first differing byte %zu"
                    " (element %zu)\n", what, p->out, (unsigned long long)b0, n, shift, bad,
                    bad / (p->out == WI_OUT_F64 ? 8 : wi_itemsize(p->out)));
    }
    free(want);
    free(got);
}

static void run(const char *name, int dist, int out, double p0, double p1, double p2, double p3)
{
    for (size_t s = 0; s < sizeof SEEDS / sizeof SEEDS[0]; s++) {
        wi_params p;
        if (wi_params_init(&p, dist, out, SEEDS[s].key0, SEEDS[s].key1, SEEDS[s].stream, 0,
                           p0, p1, p2, p3) != 0) {
            failures++;
            fprintf(stderr, "FAIL %s out %d: parameters refused\n", name, out);
            return;
        }
        wi_block_kernel k = KERNEL_FOR(&p, KERNEL_BF16);
        for (size_t a = 0; a < sizeof STARTS / sizeof STARTS[0]; a++)
            for (size_t c = 0; c < sizeof COUNTS / sizeof COUNTS[0]; c++) {
                if (COUNTS[c] > 1000 && a > 1) continue;   /* long runs: two starts suffice */
                compare(&p, k, STARTS[a], COUNTS[c], 0, name);
            }
        compare(&p, k, 3, 1000, wi_itemsize(out), name);   /* output not vector-aligned */
    }
}

int main(void)
{
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++)
        for (int out = WI_OUT_F32; out <= WI_OUT_BF16; out++)
            run(CASES[c].name, CASES[c].dist, out, CASES[c].p0, CASES[c].p1, CASES[c].p2, CASES[c].p3);
    run("raw", WI_DIST_RAW, WI_OUT_U32, 0, 0, 0, 0);
    (void)INF;
    printf("%s(p, %d): %d passed, %d failed\n", STR(KERNEL_FOR), KERNEL_BF16, passes, failures);
    return failures ? 1 : 0;
}
