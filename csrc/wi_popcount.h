/* Lanes set in a SIMD mask, by table: the kernels are built without POPCNT
 * (not implied by their -m flags), and a table lookup is a load where the
 * bit-twiddling count took 8 to 13 instructions per vector of the gathered
 * truncated normal (wi_simd_common.h). */
#ifndef WI_POPCOUNT_H
#define WI_POPCOUNT_H

#include <stdint.h>

#define WI_POP2(n) n, n + 1, n + 1, n + 2
#define WI_POP4(n) WI_POP2(n), WI_POP2(n + 1), WI_POP2(n + 1), WI_POP2(n + 2)
#define WI_POP6(n) WI_POP4(n), WI_POP4(n + 1), WI_POP4(n + 1), WI_POP4(n + 2)
static const uint8_t wi_popcount8_table[256] = {WI_POP6(0), WI_POP6(1), WI_POP6(1), WI_POP6(2)};
#undef WI_POP2
#undef WI_POP4
#undef WI_POP6

static inline int wi_popcount8(unsigned m) { return wi_popcount8_table[m & 0xffu]; }
static inline int wi_popcount16(unsigned m)
{
    return wi_popcount8_table[m & 0xffu] + wi_popcount8_table[(m >> 8) & 0xffu];
}

#endif
