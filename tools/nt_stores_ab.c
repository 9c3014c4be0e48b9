/* Plain vs streaming stores in one process: fills alternated A B A B ...
 * (the threshold switched between calls), the median of the per-pair time
 * ratios printed, so a shared machine's drifting load cancels in each pair.
 *
 * Usage: nt_stores_ab [pairs [isa]]   (isa 1 = AVX2, 2 = AVX-512)   Build and run: tools/nt_stores_ab.sh */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "wi_fill.c"     /* for the file's static threshold */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int pairs = argc > 1 ? atoi(argv[1]) : 7;
    static const char *const dist_name[] = {"raw", "uniform", "normal", "truncnorm"};
    static const uint64_t sizes[] = {1u << 16, 1u << 18, 1u << 20, 1u << 24, 1u << 28};
    int isa = argc > 2 ? atoi(argv[2]) : wi_cpu_best_isa();    /* 1 = AVX2 */
    printf("f32, ISA %d, %d pairs; G samples/s are medians, nt/plain the median per-pair ratio\n",
           isa, pairs);
    printf("%-10s %10s %3s %9s %9s %9s\n", "dist", "n", "thr", "plain", "nt", "nt/plain");
    float *buf = aligned_alloc(64, ((size_t)1 << 28) * 4);
    if (buf == NULL) return 1;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int dist = WI_DIST_UNIFORM; dist <= WI_DIST_TRUNCNORM; dist++)
            for (int thr = 1; thr <= 2; thr++) {
                uint64_t n = sizes[s];
                wi_params p;
                if (wi_params_init(&p, dist, WI_OUT_F32, 42, 0, 0, 0, 0.0, 1.0, -2.0, 2.0) != 0) return 1;
                wi_region r = {.ndim = 1};
                r.global_shape[0] = r.shape[0] = (int64_t)n;
                int reps = (int)((1u << 24) / n);
                if (reps < 1) reps = 1;
                double tp[64], tn[64], ratio[64];
                wi_fill(&p, &r, buf, 0, n, thr, isa);
                for (int k = 0; k < pairs && k < 64; k++) {
                    double t[2];
                    for (int mode = 0; mode < 2; mode++) {
                        wi_nt_min_bytes = mode ? 1 : UINT64_MAX;
                        double t0 = now();
                        for (int i = 0; i < reps; i++) wi_fill(&p, &r, buf, 0, n, thr, isa);
                        t[mode] = (now() - t0) / reps;
                    }
                    tp[k] = t[0]; tn[k] = t[1]; ratio[k] = t[0] / t[1];
                }
                qsort(tp, pairs, sizeof(double), cmp);
                qsort(tn, pairs, sizeof(double), cmp);
                qsort(ratio, pairs, sizeof(double), cmp);
                printf("%-10s %10llu %3d %9.3f %9.3f %8.2fx\n", dist_name[dist], (unsigned long long)n,
                       thr, n / tp[pairs / 2] / 1e9, n / tn[pairs / 2] / 1e9, ratio[pairs / 2]);
                fflush(stdout);
            }
    return 0;
}
