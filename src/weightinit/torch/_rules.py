"""The ``rules=`` of :func:`~weightinit.torch.init_module`: which callable fills
which parameter, checked before anything is filled.

Keys, values and the resolution order are documented in ``init_module``.
"""
from __future__ import annotations

import fnmatch
import functools
import inspect
import re

_KEYWORDS = ("seed", "stream", "threads")


class Rule:
    """A user's rule for one parameter: ``fill`` (a callable, or None to leave
    the parameter as it is) and ``source``, the key that chose it."""

    __slots__ = ("fill", "source")

    def __init__(self, fill, source: str):
        self.fill, self.source = fill, source


class Rules:
    """Parsed ``rules=``: name patterns (fnmatch strings or compiled regexes,
    in the dict's order) and module types (each a callable or None for all
    of the module's own parameters, or a dict ``{local-name pattern:
    callable or None}``)."""

    def __init__(self, rules, module_type):
        self.patterns: list[tuple[object, str, object]] = []   # (key, label, fill)
        self.types: dict[type, tuple[str, object]] = {}
        self.used: set[str] = set()
        self.seen_types: set[type] = set()
        if rules is None:
            return
        if not isinstance(rules, dict):
            raise TypeError(f"rules must be a dict of {{pattern or module type: initializer}}; "
                            f"got {type(rules).__name__}")
        for key, value in rules.items():
            if isinstance(key, (str, re.Pattern)):
                label = f"rules[{key!r}]" if isinstance(key, str) else \
                    f"rules[re.compile({key.pattern!r})]"
                self.patterns.append((key, label, _checked_fill(value, label)))
            elif isinstance(key, type) and issubclass(key, module_type):
                label = f"rules[{key.__module__}.{key.__qualname__}]"
                if isinstance(value, dict):
                    for local, fill in value.items():
                        if not isinstance(local, str):
                            raise TypeError(f"{label} keys must be parameter names or fnmatch "
                                            f"patterns (str); got {local!r}")
                        _checked_fill(fill, f"{label}[{local!r}]")
                    self.types[key] = (label, dict(value))
                else:
                    self.types[key] = (label, _checked_fill(value, label))
            else:
                raise TypeError("rules keys must be a str (an fnmatch pattern on parameter "
                                "names), a compiled re.Pattern, or a torch.nn.Module subclass; "
                                f"got {key!r}")

    def __bool__(self) -> bool:
        return bool(self.patterns or self.types)

    def match(self, name: str, owner, local: str) -> Rule | None:
        """The rule for parameter ``name`` (relative to the initialized module),
        registered as ``local`` by module ``owner``; None if no rule applies."""
        for key, label, fill in self.patterns:
            if _name_matches(key, name):
                self.used.add(label)
                return Rule(fill, label)
        for cls in type(owner).__mro__:
            if cls not in self.types:
                continue
            label, value = self.types[cls]
            self.seen_types.add(cls)
            if not isinstance(value, dict):
                self.used.add(label)
                return Rule(value, label)
            for pattern, fill in value.items():
                if fnmatch.fnmatchcase(local, pattern):
                    self.used.add(f"{label}[{pattern!r}]")
                    return Rule(fill, f"{label}[{pattern!r}]")
        return None

    def unused(self) -> list[str]:
        """Labels of the rules that matched no parameter (a typo, most often):
        patterns, and the entries of a type's dict when the model has that
        type (a type rule for a type the model lacks is not a mistake: one
        set of rules serves many models)."""
        labels = [label for _, label, _ in self.patterns]
        for cls, (label, value) in self.types.items():
            if isinstance(value, dict) and cls in self.seen_types:
                labels += [f"{label}[{p!r}]" for p in value]
        return [label for label in labels if label not in self.used]

    def aliases_matched(self, aliases: dict[str, str]) -> None:
        """Refuse a pattern that matches only the second name of a tied parameter."""
        for key, label, _ in self.patterns:
            if label in self.used:
                continue
            for alias, canonical in aliases.items():
                if _name_matches(key, alias):
                    raise ValueError(f"{label} matches {alias!r}, which is tied to "
                                     f"{canonical!r}: a tied parameter is filled once, under "
                                     "its first name, by its owner's rule; write the rule for "
                                     f"{canonical!r}")


def _name_matches(key, name: str) -> bool:
    if isinstance(key, str):
        return fnmatch.fnmatchcase(name, key)
    return key.fullmatch(name) is not None


def _checked_fill(fill, label):
    """``fill`` if it is None or takes the keywords seed, stream and threads."""
    if fill is None:
        return None
    if not callable(fill):
        raise TypeError(f"{label} must be a callable (a weightinit.torch function, a "
                        "functools.partial of one, or your own taking seed, stream and "
                        f"threads keywords) or None; got {type(fill).__name__}")
    try:
        params = inspect.signature(fill).parameters
    except (TypeError, ValueError):     # no signature to read: trust it
        return fill
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    missing = [k for k in _KEYWORDS if k not in params and not takes_any]
    if missing:
        target = fill.func if isinstance(fill, functools.partial) else fill
        name = getattr(target, "__module__", "") + "." + getattr(target, "__qualname__", "")
        hint = (f"; use weightinit.torch.{target.__name__} (the same arguments)"
                if name.startswith("torch.nn.init.") else "")
        raise TypeError(f"{label} must take the keyword arguments seed, stream and threads "
                        f"(init_module passes them, so values follow from the seed); "
                        f"{name.lstrip('.')} does not take {', '.join(missing)}{hint}")
    return fill
