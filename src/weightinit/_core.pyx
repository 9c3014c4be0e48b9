# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding to the C core: converts buffers and calls C without the GIL.

Validation is the Python layer's job (``_checks.py``); this module only
refuses what would make C misbehave, so a mistake above cannot crash the
interpreter, and tells a Generator's repeat call (``draw_whole``) from one
the Python layer must check.
"""
from libc.stdint cimport uint16_t, uint32_t, uint64_t, int64_t, uintptr_t, INT64_MAX, UINT64_MAX
from libc.string cimport memcmp
from cpython.exc cimport PyErr_CheckSignals
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_WRITABLE, PyBUF_C_CONTIGUOUS
cimport numpy as cnp

cnp.import_array()

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

cdef extern from "wi_math.h":
    uint16_t wi_f32_to_bf16(float value) nogil

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
    int wi_fill_store_ceiling(void *out, uint64_t nbytes, int streaming, int nthreads) nogil
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


def bf16_bits(float value) -> int:
    """The bfloat16 bits of ``value`` rounded to float32 (to nearest even, as
    every bfloat16 the core writes): a file's constant without ml_dtypes."""
    return wi_f32_to_bf16(value)


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


# Bytes per element of each output code (wi_out), to size writes.
cdef int[5] ITEM_BYTES = [4, 8, 2, 2, 4]


cdef int _acquire(object out, Py_buffer *view) except -1:
    """Acquire ``out``'s writeable C-contiguous buffer. Every write below is
    sized from this buffer (``view.len``), never from what ``out`` says of
    itself: an ndarray subclass may report any ``shape`` or ``size``."""
    try:
        PyObject_GetBuffer(out, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)
    except (BufferError, TypeError, ValueError) as err:
        raise ValueError(f"out must be a writeable C-contiguous buffer ({err})") from None
    return 0


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
    cdef tuple shape = tuple(out.shape)
    if ndim > WI_MAX_NDIM or len(start) != ndim or len(shape) != ndim:
        raise ValueError("region rank does not match the global shape")
    if out_code < 0 or out_code > 4:
        raise ValueError("unknown output type")
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
    return _fill_out(&params, &region, out, total, out_code, shape, threads, isa)


#: NumPy's flag bits C_CONTIGUOUS, ALIGNED and WRITEABLE (ndarray.flags.num):
#: an ``out`` the core may write (``_checks.check_out`` reads them here)
OUT_FLAGS = 0x0001 | 0x0100 | 0x0400
cdef long _OUT_FLAGS = OUT_FLAGS
from numpy import ndarray as _ndarray


def fill_whole(plan_, out, uint64_t base_block, threads, resolve_threads, selected_isa):
    """Fill all of ``plan``'s shape into ``out`` from ``base_block``, if ``out``
    is a plain, writeable, aligned C-contiguous ndarray of the plan's shape
    and dtype and the plan needs no doubling; else None, writing nothing.

    The per-call path of ``Plan.fill`` and ``Generator``: one call for the
    out check and the C call. A None sends the caller to its checked path,
    whose messages name what is wrong; ``resolve_threads(threads, size)``
    and ``selected_isa()`` are called only after ``out`` passed, in the
    checked path's order, so an error is the one that path would raise.
    """
    # plan: (dist, shape, dtype, key, stream, params, base_block, core_params, doubled, code)
    if not isinstance(plan_, tuple) or len(plan_) != 10:   # no bounds checks below
        raise TypeError("plan must be a Plan")
    cdef tuple plan = <tuple>plan_
    cdef tuple shape = plan[1]
    dtype = plan[2]
    if type(out) is not _ndarray or plan[8] or out.dtype is not dtype or out.shape != shape \
            or (out.flags.num & _OUT_FLAGS) != _OUT_FLAGS or not dtype.isnative:
        return None
    cdef int ndim = len(shape)
    cdef int out_code = plan[9]
    if ndim > WI_MAX_NDIM or out_code < 0 or out_code > 4:
        return None
    cdef wi_region region
    cdef uint64_t total = 1
    region.ndim = ndim
    for d in range(ndim):
        region.global_shape[d] = shape[d]
        region.start[d] = 0
        region.shape[d] = shape[d]
        total *= <uint64_t>shape[d]
    cdef int nthreads = resolve_threads(threads, total)
    cdef int isa = selected_isa()
    cdef tuple key = plan[3]
    cdef tuple core = plan[7]
    cdef wi_params params
    if wi_params_init(&params, plan[0], out_code, key[0], key[1], plan[4], base_block,
                      core[0], core[1], core[2], core[3]) != 0:
        raise ValueError("invalid distribution parameters")
    return _fill_out(&params, &region, out, total, out_code, shape, nthreads, isa)


# Read by draw_whole from the modules that own them; they import this one,
# so the references are taken at the first call.
cdef object _resolved_dtypes = None   # _checks' dtype argument -> np.dtype cache
cdef object _resolve_threads = None
cdef object _selected_isa = None
cdef object _threads_module = None
cdef object _env_data = None          # os.environ's bytes dict, if _env reads it directly
cdef object _threads_key = None, _isa_key = None   # the variables' names, encoded
cdef int _best_isa = 0
cdef uint64_t _single_thread_below = 0
cdef object _BLOCKS_LIMIT = 1 << 64
# Below this many elements the Generator's per-call path fills with the GIL
# held: releasing it costs more than it frees, and no other thread can
# resize ``out`` under the core meanwhile. Below the core's threading size.
cdef uint64_t _HOLD_GIL_BELOW = 1 << 14


cdef int _bind() except -1:
    global _resolved_dtypes, _resolve_threads, _selected_isa, _threads_module, _env_data
    global _threads_key, _isa_key, _best_isa, _single_thread_below
    import os
    from weightinit import _checks, _env, _fill, _threads
    _threads_module = _threads
    _resolve_threads, _selected_isa = _threads.resolve_threads, _fill.selected_isa
    _single_thread_below = _threads._SINGLE_THREAD_BELOW
    _best_isa = _fill._BEST_ISA
    _threads_key, _isa_key = os.fsencode(_threads._ENV), os.fsencode(_fill._ISA_ENV)
    _env_data = _env._DATA if _env._FAST else None
    _resolved_dtypes = _checks._resolved      # set last: it marks the binding done
    return 0


cdef int _threads_for(threads, uint64_t total) except -1:
    """``resolve_threads(threads, total)``; its common answer (1: no count
    asked for, no default set, WEIGHTINIT_NUM_THREADS unset, a fill the core
    would not split) without the Python call."""
    if (threads is None and total < _single_thread_below and _env_data is not None
            and _threads_key not in _env_data and _threads_module._default is None):
        return 1
    return _resolve_threads(threads, total)


cdef int _isa_for() except -1:
    """``selected_isa()``; the best ISA without the call when WEIGHTINIT_ISA is unset."""
    if _env_data is not None and _isa_key not in _env_data:
        return _best_isa
    return _selected_isa()


cdef bint _same_bits(tuple a, tuple b):
    """Whether two 4-tuples of floats hold the same doubles bit for bit (as
    the Generator's struct comparison: -0.0 is not 0.0); False for anything else."""
    cdef double x, y
    if len(a) != 4 or len(b) != 4:
        return False
    for i in range(4):
        if type(a[i]) is not float or type(b[i]) is not float:
            return False
        x, y = a[i], b[i]
        if memcmp(&x, &y, sizeof(double)) != 0:
            return False
    return True


def draw_whole(gen, int dist, size, dtype, out, tuple params, threads):
    """``Generator``'s per-call path: fill all of ``out`` with the next
    blocks of ``gen``'s stream and return it, if the call repeats the kind
    of ``gen``'s last plan and ``out`` is a plain, writeable, aligned
    C-contiguous ndarray of its shape and dtype; else None, having read no
    argument beyond these checks, written nothing and consumed no block.

    The checks are those the checked path (``Generator._draw``,
    ``Plan.fill``) would pass, read from the array's C fields; a None sends
    the call there, whose messages name what is wrong. ``params`` may be
    the caller's unchecked arguments: only exact floats bit-equal to the
    plan's, which were checked when it was made, pass. ``threads`` and the
    ISA are resolved after them, in that path's order.
    """
    if type(out) is not _ndarray or dist == DIST_RAW:
        return None
    plan_ = gen._plan
    if not isinstance(plan_, tuple) or len(<tuple>plan_) != 10:
        return None
    cdef tuple plan = <tuple>plan_
    # plan: (dist, shape, dtype, key, stream, params, base_block, core_params, doubled, code)
    if plan[0] != dist or plan[8]:
        return None
    if _resolved_dtypes is None:
        _bind()
    cdef cnp.ndarray arr = <cnp.ndarray>out
    rdtype = plan[2]
    if <object>cnp.PyArray_DESCR(arr) is not rdtype:
        return None
    if dtype is not rdtype:
        try:
            if _resolved_dtypes[dtype] is not rdtype:
                return None
        except (KeyError, TypeError):   # not resolved yet, or unhashable
            return None
    if (cnp.PyArray_FLAGS(arr) & _OUT_FLAGS) != _OUT_FLAGS:
        return None
    cdef tuple shape = plan[1]
    cdef int ndim = len(shape)
    if ndim > WI_MAX_NDIM or cnp.PyArray_NDIM(arr) != ndim:
        return None
    cdef cnp.npy_intp *dims = cnp.PyArray_DIMS(arr)
    cdef uint64_t total = 1
    cdef int d
    for d in range(ndim):
        if dims[d] != <cnp.npy_intp>shape[d]:
            return None
        total *= <uint64_t>dims[d]
    if size is not None:   # as normalize_shape would give: exact ints only
        if type(size) is int:
            if ndim != 1 or size != shape[0]:
                return None
        elif type(size) is tuple:
            for s in <tuple>size:
                if type(s) is not int:
                    return None
            if size != shape:
                return None
        else:
            return None
    if params is not plan[5] and not _same_bits(params, plan[5]):
        return None
    cdef int out_code = plan[9]
    if out_code < 0 or out_code > 4:
        return None
    cdef uint64_t per = 2 if out_code == OUT_F64 else 4
    cdef uint64_t blocks = total // per + (total % per != 0)
    next_block = gen._next_block
    if type(next_block) is not int or not 0 <= next_block < _BLOCKS_LIMIT:
        return None
    cdef uint64_t base = next_block
    if blocks and blocks - 1 > UINT64_MAX - base:   # base + blocks > 2**64
        return None
    cdef int nthreads = _threads_for(threads, total)
    cdef int isa = _isa_for()
    cdef tuple key = plan[3]
    cdef tuple core = plan[7]
    cdef wi_params params_c
    if wi_params_init(&params_c, dist, out_code, key[0], key[1], plan[4], base,
                      core[0], core[1], core[2], core[3]) != 0:
        raise ValueError("invalid distribution parameters")
    cdef wi_region region
    region.ndim = ndim
    for d in range(ndim):
        region.global_shape[d] = dims[d]
        region.start[d] = 0
        region.shape[d] = dims[d]
    if total >= _HOLD_GIL_BELOW:
        _fill_out(&params_c, &region, out, total, out_code, shape, nthreads, isa)
    elif total:
        _merge_whole_axes(&region)
        if wi_fill(&params_c, &region, cnp.PyArray_DATA(arr), 0, total, nthreads, isa) != 0:
            raise ValueError("region does not fit the global shape")
    gen._next_block = next_block + blocks
    return out


cdef object _fill_out(wi_params *params, wi_region *region, out, uint64_t total,
                      int out_code, shape, int nthreads, int isa):
    """The region's ``total`` elements into ``out``'s buffer, after checking
    its size and alignment: the last step of ``fill`` and ``fill_whole``."""
    _merge_whole_axes(region)
    cdef Py_buffer view
    cdef uint64_t item = ITEM_BYTES[out_code]
    _acquire(out, &view)
    try:
        if <uint64_t>view.len != total * item or (total and total * item // item != total):
            raise ValueError(f"out's buffer holds {view.len} bytes; its shape {shape} "
                             f"needs {total * item}")
        if <uintptr_t>view.buf % item:
            raise ValueError("out is not aligned")
        _fill_sliced(params, region, view.buf, total, nthreads, isa)
    finally:
        PyBuffer_Release(&view)
    return out


cdef void _merge_whole_axes(wi_region *r) noexcept:
    """Merge each trailing axis the region covers whole into the axis before
    it. The elements and their global flat indices are the same (so are the
    values); the core's rows get longer, and its kernels run whole vectors
    instead of a scalar tail per short row (a 32x32 fill: 8x fewer calls)."""
    cdef int d = r.ndim - 1
    cdef int64_t g, s, n
    while d > 0 and r.start[d] == 0 and r.shape[d] == r.global_shape[d] and r.global_shape[d] > 0:
        g, s, n = r.global_shape[d - 1], r.start[d - 1], r.shape[d - 1]
        # only a valid axis, whose merged extent fits in int64; the core refuses the rest
        if s < 0 or n < 0 or g < 0 or s + n > g or g > INT64_MAX // r.global_shape[d]:
            break
        r.global_shape[d - 1] = g * r.global_shape[d]
        r.start[d - 1] = s * r.global_shape[d]
        r.shape[d - 1] = n * r.shape[d]
        d -= 1
    r.ndim = d + 1


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
    on up to ``threads`` threads; the count of items is the acquired
    buffer's length over the item size."""
    cdef bytes item = out.dtype.type(value).tobytes()
    cdef const unsigned char[:] pattern = item
    cdef size_t size = len(item)
    cdef Py_buffer view
    cdef int rc
    cdef uint64_t n, claimed = 1
    for d in out.shape:
        claimed *= <uint64_t>d
    _acquire(out, &view)
    try:
        if size == 0 or view.len % size or <uintptr_t>view.buf % size:
            raise ValueError(f"out's buffer ({view.len} bytes) does not hold whole, aligned "
                             f"items of {size} bytes")
        n = <uint64_t>view.len // size
        if n != claimed:
            raise ValueError(f"out's buffer holds {n} items; its shape {tuple(out.shape)} "
                             f"needs {claimed}")
        with nogil:
            rc = wi_fill_constant(view.buf, n, &pattern[0], size, threads)
    finally:
        PyBuffer_Release(&view)
    if rc != 0:
        raise ValueError("unsupported item size for a constant fill")
    return out


def fill_store_ceiling(out, bint streaming, int threads):
    """Overwrite the writeable C-contiguous buffer ``out`` with plain or
    non-temporal (``streaming``) stores on up to ``threads`` threads: the
    memory-write ceilings of ``weightinit bench``."""
    cdef Py_buffer view
    cdef int rc
    _acquire(out, &view)
    try:
        with nogil:
            rc = wi_fill_store_ceiling(view.buf, <uint64_t>view.len, streaming, threads)
    finally:
        PyBuffer_Release(&view)
    if rc != 0:
        raise ValueError("out has no buffer")
    return out
