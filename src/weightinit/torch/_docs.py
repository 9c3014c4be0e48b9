"""Docstring pieces shared by the ``torch.nn.init``-style functions."""
from __future__ import annotations

_EXTRAS = """\
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence, keyword-only
        The Philox key; None draws one from OS entropy.
    stream : int or str, default 0, keyword-only
        The stream; name it after the parameter (``"encoder.0.weight"``).
    threads : int, optional, keyword-only
        Threads for the fill; the values do not depend on it."""

_TENSOR = """\
    tensor : torch.Tensor or numpy.ndarray
        Contiguous, on the CPU, float32, float64, float16 or bfloat16;
        filled in place."""

_RETURNS = """\
    Returns
    -------
    tensor
        The same object, filled."""


def _doc(text):
    return text.replace("{TENSOR}", _TENSOR).replace("{EXTRAS}", _EXTRAS).replace(
        "{RETURNS}", _RETURNS)
