/* Filling arrays: region walk and threads, over the kernels that
 * wi_kernel.h declares and wi_dispatch.c chooses.
 *
 * A fill writes elements [k0, k1) (row-major, region-local) of a region of
 * a global shape. Element k of the region is global flat index g(k); its
 * value depends on (key, stream, base_block, g(k)) only, so any split of
 * [k0, k1) over threads or calls gives the same bits. */
#ifndef WI_FILL_H
#define WI_FILL_H

#include <stddef.h>
#include <stdint.h>
#include "wi_kernel.h"

#define WI_MAX_NDIM 32

/* Region of a global shape; ndim == 0 is a scalar. */
typedef struct {
    int ndim;
    int64_t global_shape[WI_MAX_NDIM];
    int64_t start[WI_MAX_NDIM];
    int64_t shape[WI_MAX_NDIM];
} wi_region;

/* Fill elements [k0, k1) of the region into out (the region's buffer, C
 * order). Uses up to nthreads threads (>= 1); returns 0, or -1 on bad
 * arguments (nothing written). Never touches the GIL. */
int wi_fill(const wi_params *p, const wi_region *region, void *out,
            uint64_t k0, uint64_t k1, int nthreads, int isa);

/* Write one item of `item` bytes (1, 2, 4 or 8) over nitems items of out on
 * up to nthreads threads: constant initializers, and the memory-bandwidth
 * yardstick of the benchmarks. Returns 0, or -1 on bad arguments. */
int wi_fill_constant(void *out, uint64_t nitems, const void *value, size_t item, int nthreads);

/* The memory-write ceilings of the benchmarks: nbytes of out written with
 * plain (streaming == 0) or non-temporal stores on up to nthreads threads,
 * split as a fill is. Returns 0, or -1 on bad arguments. */
int wi_fill_store_ceiling(void *out, uint64_t nbytes, int streaming, int nthreads);

/* The compiler and the core's compile flags (wi_build.c). */
const char *wi_build_compiler(void);
const char *wi_build_flags(void);

/* Elements per thread below which a fill stays on the calling thread.
 * Measured when each call started its own threads: starting and joining one
 * cost about 30 us on a 2-vCPU KVM Xeon (family 6 model 167); at 2**16
 * elements 2 threads ran uniform float32 at 0.73x and truncnorm at
 * 0.77-0.88x of one thread, and truncnorm first won at 2**17 elements
 * (1.05x); uniform, 3x cheaper per element, needs 2**17 per thread to
 * recover the start-up. Waking a pooled worker (wi_pool.c) costs less
 * (13-27 us vs 44-81 us for create+join on a 2-vCPU KVM EPYC); with the
 * pool, 2**16 per thread made 2**17-element fills of normal and truncnorm
 * 1.40x and 1.80x faster but uniform 0.86x (README, Speed), so the one
 * threshold stays. */
#define WI_PARALLEL_MIN_ELEMENTS (1u << 17)
/* Thread split points are multiples of this many elements. */
#define WI_CHUNK_ELEMENTS (1u << 12)

#endif
