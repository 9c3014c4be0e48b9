/* The worker pool behind wi_parallel (see wi_pool.h). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "wi_pool.h"

/* Worker i (1 <= i < WI_MAX_THREADS) runs task i of each job it is given. */
typedef struct {
    pthread_cond_t wake;    /* signalled when has_task is set */
    int has_task;
} wi_worker;

/* Every field below is read and written under wi_pool_lock only. The lock
 * is never held while a task runs, so a fork() waits for it briefly. */
static pthread_mutex_t wi_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wi_pool_done = PTHREAD_COND_INITIALIZER;   /* pending hit 0 */
static wi_worker wi_workers[WI_MAX_THREADS];
static int wi_pool_started;     /* workers 1..wi_pool_started exist */
static int wi_pool_busy;        /* a job owns the pool */
static int wi_pool_pending;     /* tasks of the job still running on workers */
static wi_pool_task wi_job_task;
static void *wi_job_ctx;

static void *wi_worker_main(void *arg)
{
    const int index = (int)(intptr_t)arg;
    wi_worker *self = &wi_workers[index];
    pthread_mutex_lock(&wi_pool_lock);
    for (;;) {
        while (!self->has_task) pthread_cond_wait(&self->wake, &wi_pool_lock);
        self->has_task = 0;
        wi_pool_task task = wi_job_task;
        void *ctx = wi_job_ctx;
        pthread_mutex_unlock(&wi_pool_lock);
        task(ctx, index);
        pthread_mutex_lock(&wi_pool_lock);
        if (--wi_pool_pending == 0) pthread_cond_signal(&wi_pool_done);
    }
    return NULL;
}

/* Starts worker `index` (under the lock); 0 if the thread could not be
 * created. Workers block every signal, so an idle one never takes a
 * process-directed signal (such as SIGINT) meant for the interpreter. */
static int wi_start_worker(int index)
{
    wi_worker *w = &wi_workers[index];
    if (pthread_cond_init(&w->wake, NULL) != 0) return 0;
    w->has_task = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    int ok = pthread_create(&tid, NULL, wi_worker_main, (void *)(intptr_t)index) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ok) pthread_detach(tid);
    else pthread_cond_destroy(&w->wake);
    return ok;
}

/* fork(): the parent holds the lock across it, so the child's copy of the
 * pool is consistent (no job is half handed out); the child has none of the
 * workers, nor the thread that owned a job in flight, so it starts empty.
 * Re-initialising (not unlocking) the lock and condition variable discards
 * whatever waiters the parent's copies recorded. */
static void wi_pool_before_fork(void) { pthread_mutex_lock(&wi_pool_lock); }
static void wi_pool_after_fork_parent(void) { pthread_mutex_unlock(&wi_pool_lock); }
static void wi_pool_after_fork_child(void)
{
    wi_pool_started = 0;
    wi_pool_busy = 0;
    wi_pool_pending = 0;
    pthread_mutex_init(&wi_pool_lock, NULL);
    pthread_cond_init(&wi_pool_done, NULL);
}

static pthread_once_t wi_pool_once = PTHREAD_ONCE_INIT;
static int wi_pool_fork_safe;   /* the handlers are registered (set once) */

static void wi_pool_register_fork(void)
{
    wi_pool_fork_safe = pthread_atfork(wi_pool_before_fork, wi_pool_after_fork_parent,
                                       wi_pool_after_fork_child) == 0;
}

int wi_pool_run(int count, wi_pool_task task, void *ctx)
{
    if (count < 1 || count > WI_MAX_THREADS) return 0;
    /* Registered outside the lock: pthread_atfork waits for a fork in
     * progress, whose prepare handler may be waiting for the lock. */
    pthread_once(&wi_pool_once, wi_pool_register_fork);
    if (!wi_pool_fork_safe) return 0;   /* a worker would not survive a fork */
    pthread_mutex_lock(&wi_pool_lock);
    if (wi_pool_busy) {
        pthread_mutex_unlock(&wi_pool_lock);
        return 0;
    }
    wi_pool_busy = 1;
    while (wi_pool_started < count - 1 && wi_start_worker(wi_pool_started + 1))
        wi_pool_started++;
    const int helpers = wi_pool_started < count - 1 ? wi_pool_started : count - 1;
    wi_job_task = task;
    wi_job_ctx = ctx;
    wi_pool_pending = helpers;
    for (int i = 1; i <= helpers; i++) wi_workers[i].has_task = 1;
    pthread_mutex_unlock(&wi_pool_lock);
    /* Signalled after unlocking, so a woken worker does not block on the
     * lock at once; the flags set under it make a lost wake-up impossible. */
    for (int i = 1; i <= helpers; i++) pthread_cond_signal(&wi_workers[i].wake);
    task(ctx, 0);
    for (int i = helpers + 1; i < count; i++) task(ctx, i);   /* no worker for it */
    pthread_mutex_lock(&wi_pool_lock);
    while (wi_pool_pending > 0) pthread_cond_wait(&wi_pool_done, &wi_pool_lock);
    wi_pool_busy = 0;
    pthread_mutex_unlock(&wi_pool_lock);
    return 1;
}
