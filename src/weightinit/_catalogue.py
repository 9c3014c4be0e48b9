"""The catalogue: every initializer's names, declared once.

Each row names a function of :mod:`weightinit.initializers`, its class, the
other function names it goes by (PyTorch's), and the names only
:func:`weightinit.get` accepts (Keras's). The initializers module, the
package's ``__all__``, :mod:`weightinit.dask`, ``weightinit list`` and the
stability cases read this table, so a new initializer is listed here and
nowhere else (docs/contract.md 4).

>>> [e.function for e in CATALOGUE][:3]
['variance_scaling', 'glorot_uniform', 'glorot_normal']
>>> FUNCTION_NAMES[-1]
'kaiming_normal'
"""
from typing import NamedTuple

__all__ = ["Entry", "CATALOGUE", "FUNCTION_NAMES", "CLASS_NAMES"]


class Entry(NamedTuple):
    """One initializer: its function, its class, and its other names."""

    function: str
    cls: str
    #: other function names, exported beside ``function`` (PyTorch's)
    aliases: tuple[str, ...] = ()
    #: names :func:`weightinit.get` accepts besides the above (Keras's)
    get_names: tuple[str, ...] = ()


CATALOGUE: tuple[Entry, ...] = (
    Entry("variance_scaling", "VarianceScaling"),
    Entry("glorot_uniform", "GlorotUniform", ("xavier_uniform",)),
    Entry("glorot_normal", "GlorotNormal", ("xavier_normal",)),
    Entry("he_uniform", "HeUniform", ("kaiming_uniform",)),
    Entry("he_normal", "HeNormal", ("kaiming_normal",)),
    Entry("lecun_uniform", "LecunUniform"),
    Entry("lecun_normal", "LecunNormal"),
    Entry("random_uniform", "RandomUniform", (), ("uniform",)),
    Entry("random_normal", "RandomNormal", (), ("normal",)),
    Entry("truncated_normal", "TruncatedNormal"),
    Entry("orthogonal", "Orthogonal", (), ("OrthogonalInitializer",)),
    Entry("identity", "Identity", (), ("IdentityInitializer",)),
    Entry("zeros", "Zeros", (), ("zero",)),
    Entry("ones", "Ones", (), ("one",)),
    Entry("constant", "Constant"),
)

#: every exported function name: the catalogued ones, then their aliases
FUNCTION_NAMES: tuple[str, ...] = (tuple(e.function for e in CATALOGUE)
                                   + tuple(a for e in CATALOGUE for a in e.aliases))
#: every class name, the base class first
CLASS_NAMES: tuple[str, ...] = ("Initializer",) + tuple(e.cls for e in CATALOGUE)
