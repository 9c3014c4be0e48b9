/* The only loops over output arrays: region rows, block edges, threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "wi_fill.h"
#include "wi_pool.h"

/* ---- streaming (non-temporal) stores for large fills -------------------- */

/* Fills of at least this many bytes use the kernels with non-temporal
 * stores where there is one (AVX-512 float32): on a 2-vCPU KVM Xeon (family 6
 * model 167) streaming stores wrote 1 GiB 2.9x faster than plain ones, and
 * an output this large is not in cache when it is next read anyway. The
 * threshold is per wi_fill call: the Python layer passes 2**23 elements per
 * thread a call (32 MiB of float32), so whole large fills stream.
 * WEIGHTINIT_NT_MIN_BYTES in the environment when the library loads
 * overrides it (0 = never stream; for tests and measurements). */
#define WI_NT_MIN_BYTES_DEFAULT (UINT64_C(32) << 20)
static uint64_t wi_nt_min_bytes = WI_NT_MIN_BYTES_DEFAULT;

__attribute__((constructor)) static void wi_read_nt_env(void)
{
    const char *env = getenv("WEIGHTINIT_NT_MIN_BYTES");
    if (env != NULL && *env != '\0') {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0') wi_nt_min_bytes = v == 0 ? UINT64_MAX : (uint64_t)v;
    }
}

static void wi_fence_nt(void)
{
#if defined(__SSE2__)
    _mm_sfence();    /* the stores are visible once the thread is joined */
#endif
}

/* Elements [g, g + n) (global indices) into dst; element g lives in block
 * base_block + g / per, so offsets are counted in blocks and a call deep in
 * the stream never overflows an element index. Whole blocks go straight to the kernel; a partial block at either
 * edge is computed by the same kernel into a scratch block and the needed
 * lanes copied, so edges have the same bits as the interior. */
static void wi_fill_span(const wi_params *p, wi_block_kernel kernel, uint64_t g,
                         uint64_t n, char *dst, wi_block_kernel nt_kernel)
{
    const uint64_t per = (uint64_t)wi_per_block(p->out);
    const size_t item = wi_itemsize(p->out);
    unsigned char scratch[4 * 8];
    uint64_t block = p->base_block + g / per, lane = g % per;
    if (lane != 0) {
        uint64_t take = per - lane < n ? per - lane : n;
        kernel(p, block, 1, scratch);
        memcpy(dst, scratch + lane * item, take * item);
        dst += take * item; n -= take; block++;
    }
    uint64_t whole = n / per;
    /* Streaming: plain stores up to a 64-byte boundary, then the kernel
     * with non-temporal stores (an output not 16-byte aligned stays plain). */
    if (nt_kernel != NULL && (uintptr_t)dst % 16 == 0 && whole > 0) {
        uint64_t head = (64 - (uintptr_t)dst % 64) % 64 / (per * item);
        if (head > whole) head = whole;
        if (head) kernel(p, block, (size_t)head, dst);
        block += head; dst += head * per * item; n -= head * per; whole -= head;
        kernel = nt_kernel;
    }
    /* Batches keep each kernel call's output within the cache. */
    const uint64_t batch = 4096;
    for (uint64_t done = 0; done < whole; done += batch) {
        uint64_t count = whole - done < batch ? whole - done : batch;
        kernel(p, block + done, (size_t)count, dst + done * per * item);
    }
    block += whole; dst += whole * per * item; n -= whole * per;
    if (n != 0) {
        kernel(p, block, 1, scratch);
        memcpy(dst, scratch, n * item);
    }
}

/* Region-local elements [k0, k1) into out (the region's own C-order buffer). */
static void wi_fill_range(const wi_params *p, wi_block_kernel kernel,
                          const wi_region *r, char *out, uint64_t k0, uint64_t k1,
                          wi_block_kernel nt_kernel)
{
    const size_t item = wi_itemsize(p->out);
    if (r->ndim == 0) {
        if (k0 < k1) wi_fill_span(p, kernel, 0, 1, out, NULL);
        return;
    }
    const int last = r->ndim - 1;
    const uint64_t row_len = (uint64_t)r->shape[last];
    uint64_t k = k0;
    while (k < k1) {
        uint64_t row = k / row_len, col = k % row_len;
        /* Global flat index of the row's first region element. */
        uint64_t rem = row, index[WI_MAX_NDIM];
        for (int d = last - 1; d >= 0; d--) {
            index[d] = rem % (uint64_t)r->shape[d];
            rem /= (uint64_t)r->shape[d];
        }
        uint64_t g = 0;
        for (int d = 0; d < last; d++)
            g = g * (uint64_t)r->global_shape[d] + (uint64_t)r->start[d] + index[d];
        g = g * (uint64_t)r->global_shape[last] + (uint64_t)r->start[last] + col;
        uint64_t n = row_len - col < k1 - k ? row_len - col : k1 - k;
        wi_fill_span(p, kernel, g, n, out + k * item, nt_kernel);
        k += n;
    }
}

/* ---- threads: one helper for every threaded loop ------------------------ */

/* Runs body(ctx, a, b) over [0, n) cut into up to nthreads contiguous
 * pieces, each starting at a multiple of WI_CHUNK_ELEMENTS (so each thread
 * first-touches its own pages, and a split never changes a value), with at
 * least WI_PARALLEL_MIN_ELEMENTS per thread: below that, waking a thread
 * costs more than it saves. Piece 0 runs on the caller, the others on the
 * persistent workers of wi_pool.c (started by the first call that needs
 * them; a fork()ed child starts its own). A call that finds the pool busy
 * with another caller's job creates and joins threads of its own; a piece
 * whose thread cannot be created runs on the caller. Either way the pieces
 * are the same, so are the values. */
typedef void (*wi_range_body)(void *ctx, uint64_t a, uint64_t b);

typedef struct {
    wi_range_body body;
    void *ctx;
    uint64_t a, b;
} wi_piece;

static void *wi_piece_run(void *arg)
{
    wi_piece *piece = (wi_piece *)arg;
    if (piece->a < piece->b) piece->body(piece->ctx, piece->a, piece->b);
    return NULL;
}

static void wi_piece_task(void *pieces, int index)
{
    wi_piece_run((wi_piece *)pieces + index);
}

/* The pool is busy: threads of this call's own, as before the pool. */
static void wi_parallel_own_threads(wi_piece *pieces, int threads)
{
    pthread_t tids[WI_MAX_THREADS];
    int started[WI_MAX_THREADS];
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tids[t], NULL, wi_piece_run, &pieces[t]) == 0;
    wi_piece_run(&pieces[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else wi_piece_run(&pieces[t]);   /* could not start a thread: do it here */
    }
}

static void wi_parallel(uint64_t n, int nthreads, wi_range_body body, void *ctx)
{
    uint64_t max_threads = n / WI_PARALLEL_MIN_ELEMENTS;
    if (max_threads < 1) max_threads = 1;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > WI_MAX_THREADS) nthreads = WI_MAX_THREADS;
    int threads = (uint64_t)nthreads < max_threads ? nthreads : (int)max_threads;
    if (threads == 1) {
        if (n) body(ctx, 0, n);
        return;
    }
    wi_piece pieces[WI_MAX_THREADS];
    uint64_t chunks = (n + WI_CHUNK_ELEMENTS - 1) / WI_CHUNK_ELEMENTS;
    for (int t = 0; t < threads; t++) {
        uint64_t a = chunks * (uint64_t)t / (uint64_t)threads * WI_CHUNK_ELEMENTS;
        uint64_t b = chunks * (uint64_t)(t + 1) / (uint64_t)threads * WI_CHUNK_ELEMENTS;
        pieces[t] = (wi_piece){body, ctx, a < n ? a : n, b < n ? b : n};
    }
    if (!wi_pool_run(threads, wi_piece_task, pieces))
        wi_parallel_own_threads(pieces, threads);
}

/* ---- the two threaded fills --------------------------------------------- */

typedef struct {
    const wi_params *p;
    wi_block_kernel kernel;
    const wi_region *region;
    char *out;
    uint64_t k0;
    wi_block_kernel nt_kernel;     /* NULL: plain stores */
} wi_fill_job;

static void wi_fill_piece(void *ctx, uint64_t a, uint64_t b)
{
    const wi_fill_job *job = (const wi_fill_job *)ctx;
    wi_fill_range(job->p, job->kernel, job->region, job->out, job->k0 + a, job->k0 + b,
                  job->nt_kernel);
    if (job->nt_kernel != NULL) wi_fence_nt();
}

static int wi_region_valid(const wi_region *r, uint64_t k0, uint64_t k1)
{
    if (r->ndim < 0 || r->ndim > WI_MAX_NDIM || k0 > k1) return 0;
    uint64_t size = 1;
    for (int d = 0; d < r->ndim; d++) {
        if (r->shape[d] < 0 || r->start[d] < 0 || r->global_shape[d] < 0) return 0;
        if (r->start[d] + r->shape[d] > r->global_shape[d]) return 0;
        size *= (uint64_t)r->shape[d];
    }
    return k1 <= size;
}

int wi_fill(const wi_params *p, const wi_region *region, void *out,
            uint64_t k0, uint64_t k1, int nthreads, int isa)
{
    if (!wi_region_valid(region, k0, k1) || (k1 > k0 && out == NULL)) return -1;
    const uint64_t bytes = (k1 - k0) * (uint64_t)wi_itemsize(p->out);
    wi_fill_job job = {p, wi_select_kernel(isa, p), region, (char *)out, k0,
                       bytes >= wi_nt_min_bytes ? wi_select_kernel_nt(isa, p) : NULL};
    wi_parallel(k1 - k0, nthreads, wi_fill_piece, &job);
    return 0;
}

typedef struct {
    char *out;
    const unsigned char *value;
    size_t item;
} wi_const_job;

/* Items [a, b): write one item, then double the written prefix, so any
 * pattern is written at memcpy speed. */
static void wi_const_piece(void *ctx, uint64_t a, uint64_t b)
{
    const wi_const_job *job = (const wi_const_job *)ctx;
    uint64_t n = b - a;
    char *dst = job->out + a * job->item;
    memcpy(dst, job->value, job->item);
    uint64_t done = 1;
    while (done < n) {
        uint64_t take = done < n - done ? done : n - done;
        if (take > (UINT64_C(1) << 16)) take = UINT64_C(1) << 16;
        memcpy(dst + done * job->item, dst, take * job->item);
        done += take;
    }
}

int wi_fill_constant(void *out, uint64_t nitems, const void *value, size_t item, int nthreads)
{
    if (item != 1 && item != 2 && item != 4 && item != 8) return -1;
    if (nitems > 0 && (out == NULL || value == NULL)) return -1;
    wi_const_job job = {(char *)out, (const unsigned char *)value, item};
    wi_parallel(nitems, nthreads, wi_const_piece, &job);
    return 0;
}

/* ---- memory-write ceilings for the benchmarks --------------------------- */

typedef struct {
    char *out;          /* 64-byte aligned */
    int streaming;
} wi_store_job;

/* 64-byte lines [a, b) of 0.5f: aligned 16-byte stores (SSE2 is part of
 * x86-64), non-temporal when streaming; plain C stores elsewhere. */
static void wi_store_piece(void *ctx, uint64_t a, uint64_t b)
{
    const wi_store_job *job = (const wi_store_job *)ctx;
    char *dst = job->out + a * 64, *end = job->out + b * 64;
#if defined(__SSE2__)
    const __m128i v = _mm_set1_epi32(0x3f000000);
    if (job->streaming) {
        for (; dst < end; dst += 64) {
            _mm_stream_si128((__m128i *)dst, v);
            _mm_stream_si128((__m128i *)(dst + 16), v);
            _mm_stream_si128((__m128i *)(dst + 32), v);
            _mm_stream_si128((__m128i *)(dst + 48), v);
        }
        _mm_sfence();     /* the stores are visible when the thread is joined */
    } else {
        for (; dst < end; dst += 64) {
            _mm_store_si128((__m128i *)dst, v);
            _mm_store_si128((__m128i *)(dst + 16), v);
            _mm_store_si128((__m128i *)(dst + 32), v);
            _mm_store_si128((__m128i *)(dst + 48), v);
        }
    }
#else
    (void)job;
    const uint32_t half = 0x3f000000u;
    for (; dst < end; dst += 4) memcpy(dst, &half, 4);
#endif
}

int wi_fill_store_ceiling(void *out, uint64_t nbytes, int streaming, int nthreads)
{
    if (nbytes > 0 && out == NULL) return -1;
    char *base = (char *)out;
    uintptr_t addr = (uintptr_t)base;
    uint64_t head = (64 - addr % 64) % 64;
    if (head > nbytes) head = nbytes;
    uint64_t lines = (nbytes - head) / 64, tail = nbytes - head - lines * 64;
    const uint32_t half = 0x3f000000u;
    /* The unaligned edges, bytes of the same pattern by address. */
    for (uint64_t i = 0; i < head; i++) base[i] = ((const char *)&half)[(addr + i) % 4];
    char *last = base + head + lines * 64;
    for (uint64_t i = 0; i < tail; i++)
        last[i] = ((const char *)&half)[((uintptr_t)last + i) % 4];
    wi_store_job job = {base + head, streaming};
    wi_parallel(lines, nthreads, wi_store_piece, &job);
    return 0;
}
