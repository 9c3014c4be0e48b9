/* Philox4x32 (Salmon, Moraes, Dror, Shaw, SC11) as pure functions.
 *
 * No state: a block is a function of (counter, key) only, which is what lets
 * any thread, shard or machine compute any part of a stream. */
#ifndef WI_PHILOX_H
#define WI_PHILOX_H

#include <stdint.h>

#define WI_PHILOX_M0 UINT32_C(0xD2511F53)
#define WI_PHILOX_M1 UINT32_C(0xCD9E8D57)
#define WI_PHILOX_W0 UINT32_C(0x9E3779B9) /* golden ratio */
#define WI_PHILOX_W1 UINT32_C(0xBB67AE85) /* sqrt(3) - 1 */

typedef struct { uint32_t v[4]; } wi_block;
typedef struct { uint32_t v[2]; } wi_key;

static inline void wi_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t product = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(product >> 32);
    *lo = (uint32_t)product;
}

static inline wi_block wi_philox_round(wi_block ctr, wi_key key)
{
    uint32_t hi0, lo0, hi1, lo1;
    wi_mulhilo32(WI_PHILOX_M0, ctr.v[0], &hi0, &lo0);
    wi_mulhilo32(WI_PHILOX_M1, ctr.v[2], &hi1, &lo1);
    wi_block out = {{hi1 ^ ctr.v[1] ^ key.v[0], lo1, hi0 ^ ctr.v[3] ^ key.v[1], lo0}};
    return out;
}

static inline wi_key wi_philox_bumpkey(wi_key key)
{
    wi_key out = {{key.v[0] + WI_PHILOX_W0, key.v[1] + WI_PHILOX_W1}};
    return out;
}

/* Philox4x32 with any number of rounds (7 and 10 are in the KAT file). */
static inline wi_block wi_philox4x32_r(int rounds, wi_block ctr, wi_key key)
{
    for (int r = 0; r < rounds; r++) {
        if (r > 0) key = wi_philox_bumpkey(key);
        ctr = wi_philox_round(ctr, key);
    }
    return ctr;
}

static inline wi_block wi_philox4x32_10(wi_block ctr, wi_key key)
{
    return wi_philox4x32_r(10, ctr, key);
}

/* The stream contract (docs/contract.md 2): block b of stream s has counter
 * (b lo, b hi, s lo, s hi). */
static inline wi_block wi_stream_block(uint64_t block, uint64_t stream, wi_key key)
{
    wi_block ctr = {{(uint32_t)block, (uint32_t)(block >> 32),
                     (uint32_t)stream, (uint32_t)(stream >> 32)}};
    return wi_philox4x32_10(ctr, key);
}

#endif
