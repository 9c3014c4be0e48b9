"""The catalogue: every initializer's names and parameters, declared once.

Each row names a function of :mod:`weightinit.initializers`, its class, the
other function names it goes by (PyTorch's), the names only
:func:`weightinit.get` accepts (Keras's), its own parameters (name, default,
constraint: see :mod:`weightinit._constraints`), its fan convention and its
sampler. The initializers module, the package's ``__all__``,
:mod:`weightinit.dask`, ``weightinit list``, the spec reader and the
stability cases read this table, so a new initializer is listed here and
nowhere else (docs/contract.md 4). A deterministic entry needs no
hand-written function or class: :mod:`weightinit.initializers` builds both
from the entry and its sampler module ``_<sampler>.py`` (``check_shape``,
``kernel``, ``DOC``), as for ``stft``. tests/test_catalogue.py checks that the
declared defaults are the functions' and the classes'.

>>> [e.function for e in CATALOGUE][:3]
['variance_scaling', 'glorot_uniform', 'glorot_normal']
>>> FUNCTION_NAMES[-1]
'kaiming_normal'
>>> ENTRIES["random_normal"].params
(Param(name='mean', default=0.0, constraint='finite'), Param(name='stddev', default=0.05, constraint='positive'))
>>> ENTRIES["he_normal"].fans, ENTRIES["he_normal"].sampler
('in_out_axes', 'variance_scaling')
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ._fans import MODES

__all__ = ["Param", "Entry", "CATALOGUE", "ENTRIES", "FUNCTION_NAMES", "CLASS_NAMES",
           "MODES", "DISTRIBUTIONS", "FAN_KEYWORDS"]


class Param(NamedTuple):
    """One parameter of an initializer: Keras's name, its default, its constraint."""

    name: str
    default: Any
    #: a name of :data:`weightinit._constraints.CONSTRAINTS` or a tuple of choices
    constraint: Any


class Entry(NamedTuple):
    """One initializer: its function, its class, its other names, its parameters."""

    function: str
    cls: str
    #: other function names, exported beside ``function`` (PyTorch's)
    aliases: tuple[str, ...] = ()
    #: names :func:`weightinit.get` accepts besides the above (Keras's)
    get_names: tuple[str, ...] = ()
    #: its own parameters, in signature order (seed, stream, dtype... are everyone's)
    params: tuple[Param, ...] = ()
    #: how fans are found: "in_out_axes" (in_axis, out_axis, batch_axis,
    #: fan_in, fan_out keywords, Keras layout) or None (no fans)
    fans: str | None = None
    #: the sampler: "variance_scaling", "uniform", "normal", "truncated_normal"
    #: (the C core's, random), "orthogonal" (normals and a QR), or the
    #: deterministic "constant", "identity" or a sampler module's name ("stft": _stft.py)
    sampler: str = "constant"
    #: whether it draws from the stream (False: seed and stream are validated, unused)
    random: bool = False


#: variance scaling's distributions ("normal" means truncated, as Keras); its
#: modes are the fan module's
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")

#: the keywords (and defaults) each fan convention adds to a signature
FAN_KEYWORDS: dict[str, tuple[tuple[str, Any], ...]] = {
    "in_out_axes": (("in_axis", -2), ("out_axis", -1), ("batch_axis", ()), ("fan_in", None),
                    ("fan_out", None)),
}

_VS = dict(fans="in_out_axes", sampler="variance_scaling", random=True)
_NORMAL = (Param("mean", 0.0, "finite"), Param("stddev", 0.05, "positive"))


CATALOGUE: tuple[Entry, ...] = (
    Entry("variance_scaling", "VarianceScaling",
          params=(Param("scale", 1.0, "positive"), Param("mode", "fan_in", MODES),
                  Param("distribution", "truncated_normal", DISTRIBUTIONS)), **_VS),
    Entry("glorot_uniform", "GlorotUniform", ("xavier_uniform",), **_VS),
    Entry("glorot_normal", "GlorotNormal", ("xavier_normal",), **_VS),
    Entry("he_uniform", "HeUniform", ("kaiming_uniform",), **_VS),
    Entry("he_normal", "HeNormal", ("kaiming_normal",), **_VS),
    Entry("lecun_uniform", "LecunUniform", **_VS),
    Entry("lecun_normal", "LecunNormal", **_VS),
    Entry("random_uniform", "RandomUniform", (), ("uniform",),
          (Param("minval", -0.05, "finite"), Param("maxval", 0.05, "finite")),
          sampler="uniform", random=True),
    Entry("random_normal", "RandomNormal", (), ("normal",), _NORMAL, sampler="normal",
          random=True),
    Entry("truncated_normal", "TruncatedNormal", (), (), _NORMAL,
          sampler="truncated_normal", random=True),
    Entry("orthogonal", "Orthogonal", (), ("OrthogonalInitializer",),
          (Param("gain", 1.0, "finite"),), sampler="orthogonal", random=True),
    Entry("identity", "Identity", (), ("IdentityInitializer",), (Param("gain", 1.0, "real"),),
          sampler="identity"),
    Entry("zeros", "Zeros", (), ("zero",)),
    Entry("ones", "Ones", (), ("one",)),
    Entry("constant", "Constant", params=(Param("value", 0, "real"),)),
    Entry("stft", "STFT", (), ("STFTInitializer",),
          (Param("side", "real", ("real", "imag")), Param("window", "hann", "window"),
           Param("scaling", "density", ("density", "spectrum", None)),
           Param("periodic", False, "bool")), sampler="stft"),
)

#: the entries by function name, aliases included
ENTRIES: dict[str, Entry] = {n: e for e in CATALOGUE for n in (e.function, *e.aliases)}

#: every exported function name: the catalogued ones, then their aliases
FUNCTION_NAMES: tuple[str, ...] = (tuple(e.function for e in CATALOGUE)
                                   + tuple(a for e in CATALOGUE for a in e.aliases))
#: every class name, the base class first
CLASS_NAMES: tuple[str, ...] = ("Initializer",) + tuple(e.cls for e in CATALOGUE)
