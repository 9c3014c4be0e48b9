/* Core tests in plain C, for the sanitizer build (tools/sanitize.sh):
 * known answers, and the invariances of docs/contract.md 2-3 on every ISA the CPU
 * has -- regions, threads, edges -- with no Python in the way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wi_fill.h"
#include "wi_philox.h"

static int failures = 0, passes = 0;
#define CHECK(cond, ...) do { if (cond) passes++; else { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void test_kat(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[512];
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char name[32];
        unsigned rounds, c[4], k[2], e[4];
        if (sscanf(line, "%31s %u %x %x %x %x %x %x %x %x %x %x", name, &rounds, &c[0], &c[1], &c[2],
                   &c[3], &k[0], &k[1], &e[0], &e[1], &e[2], &e[3]) != 12) continue;
        wi_block ctr = {{c[0], c[1], c[2], c[3]}};
        wi_key key = {{k[0], k[1]}};
        wi_block out = {{0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef}};  /* sentinel */
        out = wi_philox4x32_r((int)rounds, ctr, key);
        for (int j = 0; j < 4; j++) CHECK(out.v[j] == e[j], "KAT %s r%u word %d", name, rounds, j);
        checked++;
    }
    fclose(f);
    CHECK(checked == 6, "expected 6 KAT lines, checked %d", checked);
}

static void region_of(wi_region *r, int ndim, const int64_t *global, const int64_t *start, const int64_t *shape)
{
    memset(r, 0, sizeof *r);
    r->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        r->global_shape[d] = global[d]; r->start[d] = start[d]; r->shape[d] = shape[d];
    }
}

/* A region of a 3-D tensor, filled on its own, equals the same part of the
 * whole tensor, for every ISA and thread count. */
static void test_regions(int dist, int out, double p0, double p1, double p2, double p3)
{
    const int64_t g[3] = {7, 33, 1031};
    const int64_t zero[3] = {0, 0, 0};
    const int64_t rs[3] = {3, 17, 517}, rstart[3] = {2, 5, 257};
    wi_params p;
    CHECK(wi_params_init(&p, dist, out, 0x12345678u, 0x9abcdefu, 77, 0, p0, p1, p2, p3) == 0, "params");
    size_t item = wi_itemsize(out);
    uint64_t n = (uint64_t)(g[0] * g[1] * g[2]), m = (uint64_t)(rs[0] * rs[1] * rs[2]);
    unsigned char *full = malloc(n * item), *part = malloc(m * item);
    wi_region whole, sub;
    region_of(&whole, 3, g, zero, g);
    region_of(&sub, 3, g, rstart, rs);
    CHECK(wi_fill(&p, &whole, full, 0, n, 1, WI_ISA_SCALAR) == 0, "full fill");
    for (int isa = 0; isa <= wi_cpu_best_isa(); isa++) {
        if (!wi_isa_compiled(isa)) continue;
        for (int threads = 1; threads <= 3; threads += 2) {
            memset(part, 0xa5, m * item);
            CHECK(wi_fill(&p, &sub, part, 0, m, threads, isa) == 0, "region fill");
            int same = 1;
            for (int64_t i = 0; i < rs[0] && same; i++)
                for (int64_t j = 0; j < rs[1] && same; j++) {
                    uint64_t goff = (uint64_t)(((rstart[0] + i) * g[1] + rstart[1] + j) * g[2] + rstart[2]);
                    uint64_t roff = (uint64_t)((i * rs[1] + j) * rs[2]);
                    same = memcmp(full + goff * item, part + roff * item, (size_t)rs[2] * item) == 0;
                }
            CHECK(same, "dist %d out %d isa %d threads %d: region differs from whole", dist, out, isa, threads);
            /* Split the region's own index range in odd pieces. */
            unsigned char *pieces = malloc(m * item);
            uint64_t cut1 = 1001, cut2 = m - 3;
            CHECK(wi_fill(&p, &sub, pieces, 0, cut1, threads, isa) == 0, "piece 1");
            CHECK(wi_fill(&p, &sub, pieces, cut1, cut2, threads, isa) == 0, "piece 2");
            CHECK(wi_fill(&p, &sub, pieces, cut2, m, threads, isa) == 0, "piece 3");
            CHECK(memcmp(pieces, part, m * item) == 0, "dist %d out %d isa %d: pieces differ", dist, out, isa);
            free(pieces);
        }
    }
    free(full);
    free(part);
}

static void test_bad_arguments(void)
{
    wi_params p;
    CHECK(wi_params_init(&p, 99, WI_OUT_F32, 0, 0, 0, 0, 0, 1, 0, 0) != 0, "bad dist accepted");
    CHECK(wi_params_init(&p, WI_DIST_UNIFORM, WI_OUT_F32, 0, 0, 0, 0, 1, 0, 0, 0) != 0, "low > high accepted");
    CHECK(wi_params_init(&p, WI_DIST_TRUNCNORM, WI_OUT_F32, 0, 0, 0, 0, 0, 1, 2, 1) != 0, "a > b accepted");
    CHECK(wi_params_init(&p, WI_DIST_TRUNCNORM, WI_OUT_F32, 0, 0, 0, 0, 0, 1, 50, 60) != 0, "far tail accepted");
    CHECK(wi_params_init(&p, WI_DIST_NORMAL, WI_OUT_F32, 0, 0, 0, 0, 0, 1, 0, 0) == 0, "normal");
    const int64_t g[2] = {4, 4}, start[2] = {2, 2}, big[2] = {3, 3};
    wi_region r;
    region_of(&r, 2, g, start, big);
    float buf[16];
    CHECK(wi_fill(&p, &r, buf, 0, 9, 1, 0) != 0, "region outside the shape accepted");
    region_of(&r, 2, g, start, start);
    CHECK(wi_fill(&p, &r, buf, 0, 5, 1, 0) != 0, "range past the region accepted");
    CHECK(wi_fill(&p, &r, NULL, 0, 0, 1, 0) == 0, "empty fill refused");
}

int main(int argc, char **argv)
{
    test_kat(argc > 1 ? argv[1] : "tests/data/philox4x32_kat.txt");
    for (int out = WI_OUT_F32; out <= WI_OUT_BF16; out++) {
        test_regions(WI_DIST_UNIFORM, out, -0.5, 0.25, 0, 0);
        test_regions(WI_DIST_NORMAL, out, 0.1, 2.0, 0, 0);
        test_regions(WI_DIST_TRUNCNORM, out, 0.0, 1.0, -2.0, 2.0);
        test_regions(WI_DIST_TRUNCNORM, out, 1.0, 0.5, 3.0, 8.0);
        test_regions(WI_DIST_TRUNCNORM, out, 0.0, 1.0, -1.0 / 0.0, -4.0);
    }
    test_regions(WI_DIST_RAW, WI_OUT_U32, 0, 0, 0, 0);
    test_bad_arguments();
    printf("%d passed, %d failed\n", passes, failures);
    return failures ? 1 : 0;
}
