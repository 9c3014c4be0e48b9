/* The SIMD block kernels, one chooser per ISA file (x86-64 builds only).
 * Each returns the kernel for p's distribution and output type; callers
 * (wi_dispatch.c) must first check that the CPU and OS support the ISA. */
#ifndef WI_KERNEL_SIMD_H
#define WI_KERNEL_SIMD_H

#include "wi_fill.h"

wi_block_kernel wi_kernel_avx2_for(const wi_params *p);
wi_block_kernel wi_kernel_avx512_for(const wi_params *p);

#endif
