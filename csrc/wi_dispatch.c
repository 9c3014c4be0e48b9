/* Run-time choice of the block kernel. The choice is made per call from an
 * explicit isa argument (no global state); the Python layer passes the best
 * ISA or the one WEIGHTINIT_ISA forces. */
#include "wi_fill.h"

int wi_isa_compiled(int isa)
{
    return isa == WI_ISA_SCALAR;
}

int wi_cpu_best_isa(void)
{
    return WI_ISA_SCALAR;
}

wi_block_kernel wi_select_kernel(int isa, const wi_params *p)
{
    (void)isa;
    (void)p;
    return wi_kernel_scalar;
}
