"""Docstring pieces shared by the ``torch.nn.init``-style functions."""
from __future__ import annotations

_GENERATOR = """\
    generator : torch.Generator or weightinit.Generator, optional, keyword-only
        As torch's ``generator=``: a CPU ``torch.Generator`` gives the key
        (64 bits drawn from it, so ``torch.manual_seed`` + the default
        generator reproduces a run and successive calls differ); a
        ``weightinit.Generator`` gives its next unused blocks (global shape).
        Not with ``seed`` (nor, a ``weightinit.Generator``, with ``stream``).
        To init several tensors, pass one generator or a stream per tensor:
        the same ``seed`` and ``stream`` give the same values.
"""

_EXTRAS = """\
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence, keyword-only
        The Philox key; None draws one from OS entropy.
    stream : int or str, default 0, keyword-only
        The stream; name it after the parameter (``"encoder.0.weight"``).
    threads : int, optional, keyword-only
        Threads for the fill; the values do not depend on it."""

_TENSOR = """\
    tensor : torch.Tensor, DTensor or numpy.ndarray
        Contiguous, on the CPU, float32, float64, float16 or bfloat16;
        filled in place (a DTensor: its local shard, at its global
        offset, with no communication)."""

_RETURNS = """\
    Returns
    -------
    tensor
        The same object, filled."""


def _doc(text):
    return text.replace("{EXTRAS_NO_GENERATOR}", _EXTRAS).replace(
        "{EXTRAS}", _GENERATOR + _EXTRAS).replace("{TENSOR}", _TENSOR).replace("{EXTRAS}", _EXTRAS).replace(
        "{RETURNS}", _RETURNS)
