/* The scalar block kernel: the reference every SIMD kernel must match. */
#include "wi_kernel.h"
#include "wi_transform.h"

void wi_kernel_scalar(const wi_params *p, uint64_t block0, size_t nblocks, void *out)
{
    for (size_t i = 0; i < nblocks; i++) {
        wi_block w = wi_stream_block(block0 + i, p->stream, p->key);
        if (p->out == WI_OUT_U32) {
            uint32_t *dst = (uint32_t *)out + 4 * i;
            for (int j = 0; j < 4; j++) dst[j] = w.v[j];
        } else if (p->out == WI_OUT_F64) {
            wi_block_f64(p, w, (double *)out + 2 * i);
        } else {
            float v[4];
            wi_block_f32(p, w, v);
            if (p->out == WI_OUT_F32) {
                float *dst = (float *)out + 4 * i;
                for (int j = 0; j < 4; j++) dst[j] = v[j];
            } else if (p->out == WI_OUT_F16) {
                uint16_t *dst = (uint16_t *)out + 4 * i;
                for (int j = 0; j < 4; j++) dst[j] = wi_f32_to_f16(v[j]);
            } else {
                uint16_t *dst = (uint16_t *)out + 4 * i;
                for (int j = 0; j < 4; j++) dst[j] = wi_f32_to_bf16(v[j]);
            }
        }
    }
}
