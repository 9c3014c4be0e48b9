/* Run-time choice of the block kernel. The choice is made per call from an
 * explicit isa argument (no global state); the Python layer passes the best
 * ISA or the one WEIGHTINIT_ISA forces. Every kernel gives the same bits,
 * so the choice only changes speed.
 *
 * An ISA is usable when the build contains its kernels (x86-64 only, see
 * CMakeLists.txt), the CPU has its instructions and the OS saves its
 * registers on context switches (XCR0, read by xgetbv). The CPU features
 * come from __builtin_cpu_supports, which reads what the compiler runtime
 * detected once at load: executing CPUID on every call would cost tens of
 * microseconds in a virtual machine (it traps to the hypervisor). */
#include <stdlib.h>
#include <string.h>
#include "wi_kernel.h"

#if defined(WI_HAVE_X86_SIMD) && (defined(__x86_64__) || defined(_M_X64))
#define WI_X86_SIMD 1
#include "wi_kernel_simd.h"
#else
#define WI_X86_SIMD 0
#endif

int wi_isa_compiled(int isa)
{
    if (isa == WI_ISA_SCALAR) return 1;
    return WI_X86_SIMD && (isa == WI_ISA_AVX2 || isa == WI_ISA_AVX512);
}

#if WI_X86_SIMD
/* XCR0: which register states the OS saves. Only call once the runtime
 * reported AVX, which it does only when CPUID.OSXSAVE says xgetbv exists
 * and is enabled (libgcc and compiler-rt both check it). */
static uint64_t wi_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

#define WI_XCR0_YMM 0x06u    /* SSE and AVX state */
#define WI_XCR0_ZMM 0xe6u    /* ... and opmask, ZMM0-15 upper halves, ZMM16-31 */
#endif

int wi_cpu_best_isa(void)
{
#if WI_X86_SIMD
    __builtin_cpu_init();        /* no-op once the runtime has run it */
    /* FMA (CPUID leaf 1, ECX bit 12) is its own bit: the kernels' fused
     * multiply-adds are stream version 2, so no FMA means the scalar path. */
    if (!__builtin_cpu_supports("avx") || !__builtin_cpu_supports("avx2") ||
        !__builtin_cpu_supports("fma") || !__builtin_cpu_supports("f16c"))
        return WI_ISA_SCALAR;
    uint64_t xcr0 = wi_xcr0();
    if ((xcr0 & WI_XCR0_YMM) != WI_XCR0_YMM) return WI_ISA_SCALAR;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        (xcr0 & WI_XCR0_ZMM) == WI_XCR0_ZMM)
        return WI_ISA_AVX512;
    return WI_ISA_AVX2;
#else
    return WI_ISA_SCALAR;
#endif
}

#if WI_X86_SIMD
/* AVX512_BF16 (CPUID leaf 7 subleaf 1, EAX bit 5, as the runtime read it) is
 * an extension of the AVX-512 kernels, not an ISA of its own: with it they
 * narrow bfloat16 by vcvtne2ps2bf16, to the same bits. WEIGHTINIT_AVX512BF16=0
 * in the environment when the library loads keeps the integer rounding, so
 * tests check that path on CPUs that have the extension too. */
static int wi_bf16_refused;

__attribute__((constructor)) static void wi_read_bf16_env(void)
{
    const char *env = getenv("WEIGHTINIT_AVX512BF16");
    wi_bf16_refused = env != NULL && strcmp(env, "0") == 0;
}

static int wi_cpu_has_avx512bf16(void)
{
    return !wi_bf16_refused && __builtin_cpu_supports("avx512bf16");
}
#endif

#if WI_X86_SIMD
/* The SIMD kernels give the scalar bits for every p but uniforms whose range
 * is so small that its step (wi_consts.steps_exact) is not a normal number. */
static int wi_simd_exact(const wi_params *p)
{
    return p->dist != WI_DIST_UNIFORM || p->c.steps_exact;
}
#endif

wi_block_kernel wi_select_kernel(int isa, const wi_params *p)
{
#if WI_X86_SIMD
    if (!wi_simd_exact(p)) return wi_kernel_scalar;
    int best = wi_cpu_best_isa();
    if (isa > best) isa = best;     /* fall back to the best lower one */
    if (isa == WI_ISA_AVX512) return wi_kernel_avx512_for(p, wi_cpu_has_avx512bf16());
    if (isa == WI_ISA_AVX2) return wi_kernel_avx2_for(p);
#else
    (void)isa;
    (void)p;
#endif
    return wi_kernel_scalar;
}

wi_block_kernel wi_select_kernel_nt(int isa, const wi_params *p)
{
#if WI_X86_SIMD
    if (!wi_simd_exact(p)) return NULL;
    if (isa > wi_cpu_best_isa()) isa = wi_cpu_best_isa();
    if (isa == WI_ISA_AVX512) return wi_kernel_avx512_nt_for(p);
#else
    (void)isa;
    (void)p;
#endif
    return NULL;
}
