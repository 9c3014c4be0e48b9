# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding to the C core: converts buffers and calls C without the GIL.

Validation is the Python layer's job (``_checks.py``); this module only
refuses what would make C misbehave, so a mistake above cannot crash the
interpreter.
"""
from libc.stdint cimport uint16_t, uint32_t, uint64_t, int64_t, uintptr_t
from cpython.exc cimport PyErr_CheckSignals
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_WRITABLE, PyBUF_ANY_CONTIGUOUS

cdef extern from "wi_philox.h":
    ctypedef struct wi_block:
        uint32_t v[4]
    ctypedef struct wi_key:
        uint32_t v[2]
    wi_block wi_philox4x32_r(int rounds, wi_block ctr, wi_key key) nogil

cdef extern from "wi_params.h":
    ctypedef struct wi_params:
        pass
    int wi_params_init(wi_params *p, int dist, int out, uint64_t key0,
                       uint64_t key1, uint64_t stream, uint64_t base_block,
                       double p0, double p1, double p2, double p3) nogil
    double wi_norm_cdf(double z) nogil
    double wi_norm_logcdf(double z) nogil

cdef extern from "wi_fill.h":
    enum: WI_MAX_NDIM
    enum: WI_PARALLEL_MIN_ELEMENTS
    ctypedef struct wi_region:
        int ndim
        int64_t global_shape[32]
        int64_t start[32]
        int64_t shape[32]
    int wi_cpu_best_isa() nogil
    int wi_isa_compiled(int isa) nogil
    int wi_fill(const wi_params *p, const wi_region *region, void *out,
                uint64_t k0, uint64_t k1, int nthreads, int isa) nogil
    int wi_fill_constant(void *out, uint64_t nitems, const void *value,
                         size_t item, int nthreads) nogil
    const char *wi_build_compiler()
    const char *wi_build_flags()

# Codes shared with the Python layer (values of wi_dist and wi_out).
DIST_RAW, DIST_UNIFORM, DIST_NORMAL, DIST_TRUNCNORM = 0, 1, 2, 3
OUT_F32, OUT_F64, OUT_F16, OUT_BF16, OUT_U32 = 0, 1, 2, 3, 4
ISA_NAMES = ("scalar", "avx2", "avx512")
MAX_NDIM = WI_MAX_NDIM
PARALLEL_MIN_ELEMENTS = WI_PARALLEL_MIN_ELEMENTS   # per thread, below which a fill stays on one

# Elements per thread between checks for Ctrl-C: well under a second of work.
cdef uint64_t SLICE_PER_THREAD = 1 << 23


def philox4x32(int rounds, ctr, key):
    """Philox4x32 block of ``rounds`` rounds: 4 uint32 words from 4 + 2."""
    cdef wi_block c
    cdef wi_key k
    for i in range(4):
        c.v[i] = ctr[i]
    k.v[0] = key[0]
    k.v[1] = key[1]
    cdef wi_block out = wi_philox4x32_r(rounds, c, k)
    return (out.v[0], out.v[1], out.v[2], out.v[3])


def norm_cdf(double z):
    """The core's standard normal CDF (used to place truncation bounds)."""
    return wi_norm_cdf(z)


def norm_logcdf(double z):
    """The core's log of the standard normal CDF."""
    return wi_norm_logcdf(z)


def build_info():
    """Compiler and compile flags of the C core."""
    return {"compiler": wi_build_compiler().decode(), "flags": wi_build_flags().decode()}


def best_isa():
    """Code of the best instruction set this CPU and build support."""
    return wi_cpu_best_isa()


def isa_compiled(int isa):
    """Whether the build contains kernels for ``isa``."""
    return bool(wi_isa_compiled(isa))


def fill(out, int dist, int out_code, uint64_t key0, uint64_t key1,
         uint64_t stream, uint64_t base_block, tuple global_shape, tuple start,
         double p0, double p1, double p2, double p3, int threads, int isa):
    """Fill the C-contiguous array ``out``, the region of ``global_shape``
    at ``start`` with ``out.shape``, with samples of ``dist``.

    The work is cut into slices; between slices the GIL is taken back to
    check for Ctrl-C, so a long fill stops within a fraction of a second.
    """
    cdef wi_params params
    cdef wi_region region
    cdef int ndim = len(global_shape)
    cdef tuple shape = out.shape
    if ndim > WI_MAX_NDIM or len(start) != ndim or len(shape) != ndim:
        raise ValueError("region rank does not match the global shape")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    if wi_params_init(&params, dist, out_code, key0, key1, stream, base_block,
                      p0, p1, p2, p3) != 0:
        raise ValueError("invalid distribution parameters")
    region.ndim = ndim
    cdef uint64_t total = 1
    for d in range(ndim):
        region.global_shape[d] = global_shape[d]
        region.start[d] = start[d]
        region.shape[d] = shape[d]
        total *= <uint64_t>shape[d]
    cdef Py_buffer view
    PyObject_GetBuffer(out, &view, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS)
    try:
        _fill_sliced(&params, &region, view.buf, total, threads, isa)
    finally:
        PyBuffer_Release(&view)
    return out


cdef int _fill_sliced(const wi_params *params, const wi_region *region, void *data,
                      uint64_t total, int threads, int isa) except -1:
    cdef uint64_t k = 0, k_end, step
    cdef int rc = 0
    if threads < 1:
        threads = 1
    step = SLICE_PER_THREAD * <uint64_t>threads
    while k < total:
        k_end = total if total - k < step else k + step
        with nogil:
            rc = wi_fill(params, region, data, k, k_end, threads, isa)
        if rc != 0:
            raise ValueError("region does not fit the global shape")
        k = k_end
        PyErr_CheckSignals()
    return 0


def fill_constant(out, value, int threads):
    """Fill the C-contiguous array ``out`` with ``value`` (cast to its dtype)
    on up to ``threads`` threads."""
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    cdef bytes item = out.dtype.type(value).tobytes()
    cdef const unsigned char[:] pattern = item
    cdef void *data = <void *><uintptr_t>out.__array_interface__["data"][0]
    cdef uint64_t n = out.size
    cdef size_t size = len(item)
    cdef int rc
    with nogil:
        rc = wi_fill_constant(data, n, &pattern[0], size, threads)
    if rc != 0:
        raise ValueError("unsupported item size for a constant fill")
    return out
