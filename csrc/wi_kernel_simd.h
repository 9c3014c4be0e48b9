/* The SIMD block kernels, one chooser per ISA file (x86-64 builds only).
 * Each returns the kernel for p's distribution and output type; callers
 * (wi_dispatch.c) must first check that the CPU and OS support the ISA. */
#ifndef WI_KERNEL_SIMD_H
#define WI_KERNEL_SIMD_H

#include "wi_kernel.h"

/* For the ISA files: primitives, transforms and loop inlined into each
 * kernel, so that constants stay in registers. */
#define WI_ALWAYS_INLINE static inline __attribute__((always_inline))

wi_block_kernel wi_kernel_avx2_for(const wi_params *p);
/* bf16 != 0: the CPU also has AVX512_BF16, whose vcvtne2ps2bf16 then
 * narrows bfloat16 outputs (same bits as the integer rounding). */
wi_block_kernel wi_kernel_avx512_for(const wi_params *p, int bf16);
/* The same kernel with non-temporal stores, for 64-byte aligned output (whole
 * 16-block steps; the scalar tail stores plainly), or NULL where there is none. */
wi_block_kernel wi_kernel_avx512_nt_for(const wi_params *p);

#endif
