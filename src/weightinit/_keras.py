"""Keras 3 registration of the initializer classes, without importing Keras.

Keras finds a class of a saved model by its registered name
(``"weightinit>HeNormal"``), so ours never clash with Keras's ``HeNormal``.
``import weightinit`` registers them at once when Keras is already imported,
else a one-shot import hook registers them right after ``import keras``
finishes: ``keras.models.load_model`` then needs no ``custom_objects`` in a
process that imported weightinit (before or after Keras).
:func:`register_keras` does it by hand and is harmless to repeat.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
import warnings

from ._after_import import call_after_import

if TYPE_CHECKING:
    from .initializers import Initializer

PACKAGE = "weightinit"
_done = False


def register_keras() -> None:
    """Register the initializer classes with Keras (imports Keras).

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.register_keras()   # doctest: +SKIP
    """
    global _done
    if _done:
        return
    from keras import saving

    from .initializers import _CLASSES
    for cls in _CLASSES:
        saving.register_keras_serializable(package=PACKAGE, name=cls.__name__)(cls)
    _done = True


def _register_quietly() -> None:
    try:
        register_keras()
    except Exception as exc:  # noqa: BLE001 - a broken Keras must not break its import
        warnings.warn(f"weightinit could not register its initializers with Keras: {exc}",
                      RuntimeWarning, stacklevel=2)


def install() -> None:
    """At ``import weightinit``: register now if Keras is imported, else right
    after ``import keras``."""
    keras = sys.modules.get("keras")
    if keras is None:
        call_after_import("keras", lambda module: _register_quietly())
    elif hasattr(keras, "saving"):
        _register_quietly()


def serialize(initializer: Initializer) -> dict[str, Any]:
    """The Keras config of one of our initializers, as
    ``keras.initializers.serialize`` gives it (Keras is not needed).

    Examples
    --------
    >>> import weightinit as wi
    >>> config = wi.serialize(wi.HeNormal(seed=1))
    >>> config["registered_name"], config["config"]["seed"]
    ('weightinit>HeNormal', 1)
    >>> wi.deserialize(config) == wi.HeNormal(seed=1)
    True
    """
    from .initializers import Initializer
    if not isinstance(initializer, Initializer):
        raise TypeError("initializer must be a weightinit initializer; "
                        f"got {type(initializer).__name__}")
    name = type(initializer).__name__
    return {"module": type(initializer).__module__, "class_name": name,
            "config": initializer.get_config(), "registered_name": f"{PACKAGE}>{name}"}


def deserialize(config: str | Mapping[str, Any] | None) -> Initializer | Callable[..., Any] | None:
    """An initializer from :func:`serialize`'s dict (or a name), as
    ``keras.initializers.deserialize``."""
    from .initializers import get
    if isinstance(config, dict) and "class_name" not in config and "name" not in config:
        raise ValueError(f"config must have a 'class_name' key; got keys {sorted(config)}")
    return get(config)
