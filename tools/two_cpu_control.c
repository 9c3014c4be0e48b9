/* Is a second CPU there right now? The shared hosts take this VM's second
 * vCPU away at times, which makes any 2-thread timing meaningless. Runs a
 * dependent multiply-add loop on 1 thread, then the same loop on 2 threads
 * at once: the scaling is 2.0x with a whole second CPU, 1.0x with none.
 * Run it right before and after a threads measurement.
 * Build and run: gcc -O2 -pthread tools/two_cpu_control.c -o /tmp/control && /tmp/control */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *spin(void *unused)
{
    volatile double x = 1.0;   /* volatile: the loop is not optimized away */
    for (long i = 0; i < 400000000L; i++) x = x * 1.0000001 + 1e-9;
    return unused;
}

int main(void)
{
    double t0 = now();
    spin(NULL);
    double one = now() - t0;
    pthread_t a, b;
    t0 = now();
    pthread_create(&a, NULL, spin, NULL);
    pthread_create(&b, NULL, spin, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    double two = now() - t0;
    printf("1 thread %.2f s, 2 threads %.2f s: scaling %.2fx\n", one, two, 2 * one / two);
    return 0;
}
