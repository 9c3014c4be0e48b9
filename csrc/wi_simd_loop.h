/* The SIMD kernels' loop, written once: Philox on groups of blocks (one
 * block per 32-bit lane, two groups' rounds interleaved), the transforms of
 * wi_simd_common.h, the stores in element order, the scalar tail, and the
 * kernel table.
 *
 * An ISA file includes wi_simd_common.h, then defines these and includes
 * this header:
 *   wi_vkey, wi_vkey_make(u), wi_vkey_get(k)   a Philox key word as kept
 *       between steps (broadcast where registers allow) and as a vector
 *   vi_mulhilo(x, m, &hi, &lo), vi_xor3(a, b, c)
 *   wi_v_counter(b, &c0, &c1)   counter words 0, 1 of blocks b + lane
 *   wi_v_pairs(w, x)   x0 = (w1 << 32) | w0 and x1 = (w3 << 32) | w2 of
 *       each block: x[0], x[1] of the lower and x[2], x[3] of the upper
 *       64-bit halves of the lanes (unpacklo/hi)
 *   wi_store_u32(out, x[4]), wi_store_f32(out, v[4], kind),
 *   wi_store_f64(out, y[4]) (y[j] from x[j] of wi_v_pairs)   a group's
 *       words or values in element order
 * with kind an output type or an ISA's variant (wi_simd_common.h). */
#ifndef WI_SIMD_LOOP_H
#define WI_SIMD_LOOP_H

#include "wi_philox.h"

/* ---- Philox4x32-10 on groups of WI_VF_LANES blocks ---------------------- */

typedef struct {
    wi_vkey k0[10], k1[10];   /* round keys */
    wi_vkey s0, s1;           /* stream words (counter words 2 and 3) */
} wi_philox_keys;

WI_ALWAYS_INLINE void wi_philox_keys_make(const wi_params *p, wi_philox_keys *k)
{
    wi_key key = p->key;
    for (int r = 0; r < 10; r++) {
        if (r > 0) key = wi_philox_bumpkey(key);
        k->k0[r] = wi_vkey_make(key.v[0]);
        k->k1[r] = wi_vkey_make(key.v[1]);
    }
    k->s0 = wi_vkey_make((uint32_t)p->stream);
    k->s1 = wi_vkey_make((uint32_t)(p->stream >> 32));
}

/* Words of ng groups from block b: w[4g + j], lane l = word j of block
 * b + WI_VF_LANES g + l, as wi_stream_block. The groups' rounds are
 * interleaved: one group's dependency chain alone leaves the multipliers
 * idle. */
WI_ALWAYS_INLINE void wi_v_philox(const wi_philox_keys *k, uint64_t b, vi *w, const int ng)
{
    const vi m0 = vi_set1(WI_PHILOX_M0), m1 = vi_set1(WI_PHILOX_M1);
    vi c0[2], c1[2], c2[2], c3[2];
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        wi_v_counter(b + WI_VF_LANES * (uint64_t)g, &c0[g], &c1[g]);
        c2[g] = wi_vkey_get(k->s0);
        c3[g] = wi_vkey_get(k->s1);
    }
#pragma GCC unroll 10
    for (int r = 0; r < 10; r++) {
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) {
            vi hi0, lo0, hi1, lo1;
            vi_mulhilo(c0[g], m0, &hi0, &lo0);
            vi_mulhilo(c2[g], m1, &hi1, &lo1);
            c0[g] = vi_xor3(hi1, c1[g], wi_vkey_get(k->k0[r]));
            c2[g] = vi_xor3(hi0, c3[g], wi_vkey_get(k->k1[r]));
            c1[g] = lo1;
            c3[g] = lo0;
        }
    }
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        w[4 * g] = c0[g]; w[4 * g + 1] = c1[g]; w[4 * g + 2] = c2[g]; w[4 * g + 3] = c3[g];
    }
}

/* ---- the kernels -------------------------------------------------------- */

/* ng groups (words w[4g + j]) -> their elements at dst. Truncated normals
 * evaluate the tails of all groups together (gathered) and return early,
 * so the per-group loop has raw words (u32) or uniform or normal floats:
 * WI_DEFINE_KERNELS defines no other (dist, kind). */
WI_ALWAYS_INLINE void wi_v_groups(const wi_vconsts_f32 *kf, const wi_vconsts_f64 *kd, const vi *w,
                                  const int ng, char *dst, const int dist, const int kind)
{
    const int out = wi_kind_out(kind);
    const size_t group_bytes = WI_VF_LANES * (size_t)(wi_per_block(out) * wi_itemsize(out));
    if (dist == WI_DIST_TRUNCNORM && out == WI_OUT_F64) {
        vq x[8];
        vd y[8];
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) wi_v_pairs(w + 4 * g, x + 4 * g);
        wi_v_tn_f64_gathered(kd, x, 4 * ng, y);
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) wi_store_f64(dst + g * group_bytes, y + 4 * g);
        return;
    }
    if (dist == WI_DIST_TRUNCNORM && out != WI_OUT_U32) {
        vf v[8];
        wi_v_tn_f32_gathered(kf, w, 4 * ng, v);
#pragma GCC unroll 2
        for (int g = 0; g < ng; g++) wi_store_f32(dst + g * group_bytes, v + 4 * g, kind);
        return;
    }
#pragma GCC unroll 2
    for (int g = 0; g < ng; g++) {
        const vi *x = w + 4 * g;
        char *o = dst + g * group_bytes;
        if (out == WI_OUT_U32) {
            wi_store_u32(o, x);
        } else if (out == WI_OUT_F64) {
            vq xq[4];
            vd y[4];
            wi_v_pairs(x, xq);
            if (dist == WI_DIST_UNIFORM) {
                y[0] = wi_v_uniform_f64(kd, xq[0]); y[1] = wi_v_uniform_f64(kd, xq[1]);
                y[2] = wi_v_uniform_f64(kd, xq[2]); y[3] = wi_v_uniform_f64(kd, xq[3]);
            } else {
                wi_v_normal_f64(kd, xq[0], xq[1], &y[0], &y[1]);
                wi_v_normal_f64(kd, xq[2], xq[3], &y[2], &y[3]);
            }
            wi_store_f64(o, y);
        } else {
            vf v[4];
            if (dist == WI_DIST_UNIFORM) {
                for (int j = 0; j < 4; j++) v[j] = wi_v_uniform_f32(kf, x[j]);
            } else {
                wi_v_normal_f32(kf, x[0], x[1], &v[0], &v[1]);
                wi_v_normal_f32(kf, x[2], x[3], &v[2], &v[3]);
            }
            wi_store_f32(o, v, kind);
        }
    }
}

/* Steps of two groups, then one, then the scalar kernel for the rest. */
WI_ALWAYS_INLINE void wi_v_run(const wi_params *p, uint64_t block0, size_t nblocks, void *out,
                               const int dist, const int kind)
{
    enum { L = WI_VF_LANES };
    wi_philox_keys keys;
    wi_philox_keys_make(p, &keys);
    const int o = wi_kind_out(kind);
    const size_t block_bytes = (size_t)(wi_per_block(o) * wi_itemsize(o));
    wi_vconsts_f32 kf;
    wi_vconsts_f64 kd;
    if (o == WI_OUT_F64) kd = wi_vconsts_f64_make(&p->c);
    else if (o != WI_OUT_U32) kf = wi_vconsts_f32_make(&p->c);
    char *dst = (char *)out;
    size_t i = 0;
    for (; i + 2 * L <= nblocks; i += 2 * L) {
        vi w[8];
        wi_v_philox(&keys, block0 + i, w, 2);
        wi_v_groups(&kf, &kd, w, 2, dst + i * block_bytes, dist, kind);
    }
    if (i + L <= nblocks) {
        vi w[4];
        wi_v_philox(&keys, block0 + i, w, 1);
        wi_v_groups(&kf, &kd, w, 1, dst + i * block_bytes, dist, kind);
        i += L;
    }
    if (i < nblocks) wi_kernel_scalar(p, block0 + i, nblocks - i, dst + i * block_bytes);
}

/* One function per (dist, kind), so that both fold to constants. */
#define WI_DEFINE_KERNEL(name, dist, kind) \
    static void name(const wi_params *p, uint64_t block0, size_t nblocks, void *out) \
    { wi_v_run(p, block0, nblocks, out, dist, kind); }

/* A kind's kernels: name_uniform, name_normal, name_truncnorm, and the row
 * {...} of them indexed [dist - WI_DIST_UNIFORM]. */
#define WI_DEFINE_KIND_KERNELS(name, kind) \
    WI_DEFINE_KERNEL(name##_uniform, WI_DIST_UNIFORM, kind) \
    WI_DEFINE_KERNEL(name##_normal, WI_DIST_NORMAL, kind) \
    WI_DEFINE_KERNEL(name##_truncnorm, WI_DIST_TRUNCNORM, kind)
#define WI_KIND_ROW(name) {name##_uniform, name##_normal, name##_truncnorm}

/* An ISA's plain kernels: isa_raw and isa_table[out][dist - WI_DIST_UNIFORM]
 * for out in F32, F64, F16, BF16. */
#define WI_DEFINE_KERNELS(isa) \
    WI_DEFINE_KERNEL(isa##_raw, WI_DIST_RAW, WI_OUT_U32) \
    WI_DEFINE_KIND_KERNELS(isa##_f32, WI_OUT_F32) \
    WI_DEFINE_KIND_KERNELS(isa##_f64, WI_OUT_F64) \
    WI_DEFINE_KIND_KERNELS(isa##_f16, WI_OUT_F16) \
    WI_DEFINE_KIND_KERNELS(isa##_bf16, WI_OUT_BF16) \
    static const wi_block_kernel isa##_table[4][3] = { \
        WI_KIND_ROW(isa##_f32), WI_KIND_ROW(isa##_f64), WI_KIND_ROW(isa##_f16), WI_KIND_ROW(isa##_bf16)};

/* The column of the tables for p's distribution, or -1 where the ISA has no
 * kernel (raw is a single kernel). */
WI_ALWAYS_INLINE int wi_v_dist_index(const wi_params *p)
{
    return p->dist >= WI_DIST_UNIFORM && p->dist <= WI_DIST_TRUNCNORM ? p->dist - WI_DIST_UNIFORM : -1;
}

/* p's kernel from WI_DEFINE_KERNELS's raw and table, else the scalar one. */
WI_ALWAYS_INLINE wi_block_kernel wi_v_kernel_for(const wi_params *p, wi_block_kernel raw,
                                                 const wi_block_kernel table[4][3])
{
    if (p->dist == WI_DIST_RAW) return p->out == WI_OUT_U32 ? raw : wi_kernel_scalar;
    int d = wi_v_dist_index(p);
    if (d < 0 || p->out < WI_OUT_F32 || p->out > WI_OUT_BF16) return wi_kernel_scalar;
    return table[p->out][d];
}

#endif
