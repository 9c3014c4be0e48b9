/* What a threaded fill pays to get a second thread going: creating and
 * joining a thread, against waking a sleeping pool worker (a condition
 * variable) and waiting for its answer, each after 2 ms idle (the other
 * vCPU halted, as between two fills) and back to back.
 * Build and run: gcc -O2 -pthread tools/thread_wake_cost.c -o /tmp/wake && /tmp/wake */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *nothing(void *arg) { return arg; }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, answer = PTHREAD_COND_INITIALIZER;
static int task, done;

static void *worker(void *arg)
{
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!task) pthread_cond_wait(&wake, &lock);
        task = 0;
        done = 1;
        pthread_cond_signal(&answer);
    }
    return arg;
}

enum { ROUNDS = 200 };

static void report(const char *what, const double *us)
{
    double best = us[0], sum = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sum += us[i];
        if (us[i] < best) best = us[i];
    }
    printf("%-36s best %6.1f us, mean %6.1f us\n", what, best, sum / ROUNDS);
}

int main(void)
{
    static double us[ROUNDS];
    for (int idle = 1; idle >= 0; idle--) {
        for (int i = 0; i < ROUNDS; i++) {
            if (idle) usleep(2000);
            double t = now();
            pthread_t tid;
            pthread_create(&tid, NULL, nothing, NULL);
            pthread_join(tid, NULL);
            us[i] = (now() - t) * 1e6;
        }
        report(idle ? "create + join, after 2 ms idle" : "create + join, back to back", us);
    }
    pthread_t tid;
    pthread_create(&tid, NULL, worker, NULL);
    for (int idle = 1; idle >= 0; idle--) {
        for (int i = 0; i < ROUNDS; i++) {
            if (idle) usleep(2000);
            double t = now();
            pthread_mutex_lock(&lock);
            task = 1;
            done = 0;
            pthread_cond_signal(&wake);
            while (!done) pthread_cond_wait(&answer, &lock);
            pthread_mutex_unlock(&lock);
            us[i] = (now() - t) * 1e6;
        }
        report(idle ? "wake a worker, after 2 ms idle" : "wake a worker, back to back", us);
    }
    return 0;
}
