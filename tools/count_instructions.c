/* Exact instructions per sample of one wi_fill call, by ptrace single-stepping.
 *
 * Hardware counters are often missing in VMs and valgrind cannot run
 * AVX-512, so this counts retired user-space instructions one by one: the
 * child stops itself before and after a single-thread wi_fill, and the
 * parent single-steps everything in between. Setup (kernel selection, the
 * region walk) is included, amortized over n samples.
 *
 * Usage: count_instructions [n]   (default 16384; prints a table)
 * bfloat16 on AVX-512 uses vcvtne2ps2bf16 when the CPU has AVX512_BF16;
 * WEIGHTINIT_AVX512BF16=0 in the environment counts the integer rounding.
 * Build: tools/count_instructions.sh */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "wi_fill.h"

static const char *const dist_name[] = {"raw", "uniform", "normal", "truncnorm"};
static const char *const isa_name[] = {"scalar", "avx2", "avx512"};

/* Child: one fill between two self-stops; never returns. */
static void child_fill(int dist, int out, int isa, uint64_t n)
{
    wi_params p;
    double p2 = -2.0, p3 = 2.0;
    if (wi_params_init(&p, dist, out, 42, 0, 0, 0, 0.0, 1.0, p2, p3) != 0) _exit(2);
    wi_region r = {.ndim = 1};
    r.global_shape[0] = r.shape[0] = (int64_t)n;
    void *buf = aligned_alloc(64, (size_t)n * 8);
    if (buf == NULL) _exit(2);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(2);
    raise(SIGSTOP);
    int rc = wi_fill(&p, &r, buf, 0, n, 1, isa);
    raise(SIGSTOP);
    _exit(rc == 0 ? 0 : 3);
}

/* Instructions the child runs between its two stops, or -1. */
static long long count(int dist, int out, int isa, uint64_t n)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) child_fill(dist, out, isa, n);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) return -1;
    long long steps = 0;
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0) return -1;
        if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) return -1;
        if (WSTOPSIG(st) == SIGSTOP) break;      /* the second raise() */
        steps++;
    }
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    waitpid(pid, &st, 0);
    return steps;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 16384;
    static const int outs[] = {WI_OUT_F32, WI_OUT_F64, WI_OUT_F16, WI_OUT_BF16};
    static const char *const out_name[] = {"f32", "f64", "f16", "bf16"};
    enum { n_outs = sizeof outs / sizeof outs[0] };
    int best = wi_cpu_best_isa();
    printf("n = %llu, one thread, instructions per sample of one wi_fill call\n",
           (unsigned long long)n);
    printf("%-10s %-5s", "dist", "dtype");
    for (int isa = 0; isa <= best; isa++) printf(" %9s", isa_name[isa]);
    printf("\n");
    for (int dist = WI_DIST_UNIFORM; dist <= WI_DIST_TRUNCNORM; dist++)
        for (int o = 0; o < n_outs; o++) {
            printf("%-10s %-5s", dist_name[dist], out_name[o]);
            for (int isa = 0; isa <= best; isa++) {
                long long c = count(dist, outs[o], isa, n);
                if (c < 0) printf(" %9s", "error");
                else printf(" %9.2f", (double)c / (double)n);
                fflush(stdout);
            }
            printf("\n");
        }
    return 0;
}
