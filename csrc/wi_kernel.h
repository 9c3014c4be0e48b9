/* Block kernels and their dispatch: what the fill (wi_fill.h) builds on.
 *
 * Layers, each including only those below it: core (wi_philox.h, wi_math.h,
 * wi_params.h, wi_transform.h) -> kernels (this header; wi_kernel_scalar.c,
 * wi_kernel_avx2.c, wi_kernel_avx512.c over wi_simd_common.h and
 * wi_simd_loop.h) -> dispatch (wi_dispatch.c) -> fill (wi_fill.h, wi_fill.c). */
#ifndef WI_KERNEL_H
#define WI_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "wi_params.h"

typedef enum { WI_ISA_SCALAR = 0, WI_ISA_AVX2 = 1, WI_ISA_AVX512 = 2, WI_ISA_COUNT = 3 } wi_isa;

/* Writes nblocks whole blocks starting at block0 as elements of p->out's
 * type: 4 (or 2 for float64) elements per block, contiguous at out. */
typedef void (*wi_block_kernel)(const wi_params *p, uint64_t block0, size_t nblocks, void *out);

/* Best ISA this CPU and OS support, and the kernel for (isa, p); an ISA the
 * build or CPU lacks falls back to the best lower one. */
int wi_cpu_best_isa(void);
int wi_isa_compiled(int isa);
wi_block_kernel wi_select_kernel(int isa, const wi_params *p);
/* The kernel for (isa, p) with non-temporal stores, for 64-byte aligned
 * output, or NULL where there is none (then fills store plainly). */
wi_block_kernel wi_select_kernel_nt(int isa, const wi_params *p);
void wi_kernel_scalar(const wi_params *p, uint64_t block0, size_t nblocks, void *out);

#endif
