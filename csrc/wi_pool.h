/* A persistent pool of worker threads for the threaded loops of wi_fill.c.
 *
 * Workers are started lazily, by the first job that needs them, and sleep
 * on a condition variable between jobs: waking one costs about a third of
 * creating and joining a thread (13-27 us vs 44-81 us after 2 ms idle on a
 * 2-vCPU KVM EPYC). One job runs at a time; a caller that finds the pool
 * busy is told so and runs its job some other way. After fork() the child
 * has an empty pool, and its next job starts new workers. */
#ifndef WI_POOL_H
#define WI_POOL_H

/* Most tasks a job may have (the caller's task 0 included). */
#define WI_MAX_THREADS 256

typedef void (*wi_pool_task)(void *ctx, int index);

/* Runs task(ctx, i) for every i in [0, count), 1 <= count <= WI_MAX_THREADS:
 * task 0 on the calling thread, the others on workers (a task whose worker
 * could not be started also runs on the caller). Returns 1 once every task
 * has finished, or 0 without running any when the pool cannot take the job
 * (another job holds it, or pthread_atfork failed, so a worker would not
 * survive a fork). */
int wi_pool_run(int count, wi_pool_task task, void *ctx);

#endif
