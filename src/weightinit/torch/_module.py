"""``init_module``: a whole ``torch.nn.Module`` re-initialized, each parameter
once, by its owner's rule (built in, the user's ``rules=``, or the module's
own reset method), on the stream named after it.

The work is planned first (:class:`_Plan`: every check, every rule, which
step fills which parameter) and then run, so a rejected call writes nothing
and each parameter is filled once, by the last step that would write it.
"""
from __future__ import annotations

import hashlib
import secrets
import warnings

from .._stream import key_from_seed
from .._threads import resolve_threads
from ._builtin_rules import handler_for, module_handlers
from ._rules import Rules
from .._types import ModuleT, SeedLike, ThreadsLike
from .._types import Rules as RulesLike
from ._tensors import _import_torch, _is_dtensor, check_parameter


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _torch_seed(key, name) -> int:
    digest = hashlib.sha256(f"{key[0]}:{key[1]}:{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class _Plan:
    """What ``init_module`` does to ``module``, in order.

    ``names`` maps each parameter (by id) to its first name in
    ``module.named_parameters()`` (its *canonical* name: the stream, and the
    name rules match); ``aliases`` maps every other name of a tied parameter
    to the canonical one; ``ruled`` holds the user's rule of each parameter
    that has one; ``steps`` the built-in fills, buffer resets and fallback
    ``reset_parameters`` calls, in PyTorch's order (children first).
    """

    def __init__(self, module, torch, rules: Rules, *, check: bool = True):
        self.module, self.torch = module, torch
        self.params = dict(module.named_parameters())
        self.names = {id(p): name for name, p in self.params.items()}
        self.aliases = {name: self.names[id(p)]
                        for name, p in module.named_parameters(remove_duplicate=False)
                        if self.names[id(p)] != name}
        if check:                     # off for specs: nothing is filled, meta is fine
            for name, p in self.params.items():
                check_parameter(p, name)
        self.ruled = {}
        for mod_name, mod in module.named_modules():
            for local, p in mod.named_parameters(recurse=False):
                name = _join(mod_name, local)
                if self.names[id(p)] == name:          # the owner: first to register it
                    rule = rules.match(name, mod, local)
                    if rule is not None:
                        self.ruled[name] = rule
        rules.aliases_matched(self.aliases)
        unused = rules.unused()
        if unused:
            warnings.warn(f"init_module: {', '.join(unused)} matched no parameter", stacklevel=3)
        self.steps: list[tuple] = []
        self.covered: set[str] = set(self.ruled)
        self._handlers = module_handlers(torch)
        self._visit(module, "", set())

    # -- building ------------------------------------------------------------

    def _visit(self, mod, mod_name, seen):
        if id(mod) in seen:
            return
        seen.add(id(mod))
        for child_name, child in mod.named_children():
            self._visit(child, _join(mod_name, child_name), seen)
        handler = handler_for(mod, self._handlers)
        if handler is not None:
            handler(mod, _Recorder(self, mod, mod_name))
            return
        own = [_join(mod_name, local) for local, p in mod.named_parameters(recurse=False)
               if self.names[id(p)] == _join(mod_name, local)]
        if not own or all(name in self.ruled for name in own):
            return                    # nothing of its own left for its reset method to do
        reset = getattr(mod, "reset_parameters", None) or getattr(mod, "_reset_parameters", None)
        if callable(reset):
            self.steps.append(("reset", mod, mod_name, reset))
            self.covered.update(own)

    def fill(self, mod, mod_name, local, fn, args, kwargs):
        name = _join(mod_name, local)
        if self.names[id(mod.get_parameter(local))] != name:
            return                    # tied: filled under its canonical name only
        if name in self.ruled:
            return                    # the user's rule wins
        self.steps.append(("fill", name, fn, args, kwargs))
        self.covered.add(name)

    # -- running -------------------------------------------------------------

    def _last_fills(self) -> dict:
        """{name: index of the step that fills it}: the last fill of a name counts."""
        return {step[1]: i for i, step in enumerate(self.steps) if step[0] == "fill"}

    def _warn_untouched(self):
        untouched = [name for name in self.params if name not in self.covered]
        if untouched:
            warnings.warn("init_module left these parameters as they were (their module has "
                          "no known initialization, no reset_parameters and no rule): "
                          f"{', '.join(untouched)}", stacklevel=4)

    def run(self, seed, key, prefix, threads):
        torch = self.torch
        last = self._last_fills()
        for i, step in enumerate(self.steps):
            if step[0] == "fill":
                _, name, fn, args, kwargs = step
                if last[name] == i:
                    self._fill(name, fn, args, kwargs, seed, prefix, threads)
            elif step[0] == "buffers":
                with torch.no_grad():
                    step[1]()
            else:
                self._reset(*step[1:], key=key, prefix=prefix)
        for name, rule in self.ruled.items():
            if rule.fill is not None:
                self._fill(name, rule.fill, (), {}, seed, prefix, threads)
        self._warn_untouched()

    def specs(self, prefix, buffers: bool) -> dict:
        """What :meth:`run` writes, as ``{prefix + name: spec}``, writing nothing."""
        from ._specs import dtype_name, fill_spec
        last, specs = self._last_fills(), {}
        for i, step in enumerate(self.steps):
            if step[0] == "fill":
                _, name, fn, args, kwargs = step
                if last[name] == i:
                    p = self.params[name]
                    specs[_join(prefix, name)] = fill_spec(fn, args, kwargs, p.shape,
                                                           dtype_name(p.dtype, name), name)
            elif step[0] == "buffers":
                if buffers:
                    specs.update(self._buffer_specs(step[1], prefix))
            else:
                self._reset_refused(step[1], step[2])
        for name, rule in self.ruled.items():
            if rule.fill is not None:
                p = self.params[name]
                specs[_join(prefix, name)] = fill_spec(rule.fill, (), {}, p.shape,
                                                       dtype_name(p.dtype, name), name)
        self._warn_untouched()
        return specs

    def _buffer_specs(self, reset, prefix) -> dict:
        """A buffer reset (BatchNorm's ``reset_running_stats``), recorded, not run."""
        from .._torch_record import RecordInit
        with RecordInit(module=self.module, warn=False) as rec, self.torch.no_grad():
            reset()
        return {_join(prefix, name): spec for name, spec in rec.specs.items()}

    def _reset_refused(self, mod, mod_name):
        here = [_join(mod_name, n) for n, p in mod.named_parameters(recurse=False)
                if self.names[id(p)] == _join(mod_name, n)]
        written = [n for n in here if n not in self.ruled or self.ruled[n].fill is None]
        raise ValueError(f"{', '.join(written)}: init_module fills {'them' if len(written) > 1 else 'it'} "
                         f"with {type(mod).__name__}.reset_parameters() on torch's generator, "
                         "which a spec cannot express; give a rule (rules=) with a "
                         "weightinit.torch function, or record the module's init code with "
                         "weightinit.torch.record_init")

    def _fill(self, name, fn, args, kwargs, seed, prefix, threads):
        tensor = self.params[name]
        stream = _join(prefix, name)
        if _is_dtensor(tensor) or tensor.is_contiguous():
            fn(tensor, *args, seed=seed, stream=stream, threads=threads, **kwargs)
            return
        torch = self.torch                # channels-last: fill in logical order, copy in
        tmp = torch.empty_like(tensor, memory_format=torch.contiguous_format)
        fn(tmp, *args, seed=seed, stream=stream, threads=threads, **kwargs)
        with torch.no_grad():
            tensor.copy_(tmp)

    def _reset(self, mod, mod_name, reset, *, key, prefix):
        torch = self.torch
        here = {_join(mod_name, n): p for n, p in mod.named_parameters(remove_duplicate=False)}
        foreign = {name: p for name, p in here.items()
                   if self.names[id(p)] not in here}   # tied to a parameter owned elsewhere
        if any(_is_dtensor(p) for p in here.values()):
            warnings.warn(f"init_module called {type(mod).__name__}.{reset.__name__}() on "
                          f"{_join(prefix, mod_name) or 'the module'}, whose DTensor parameters "
                          "torch's own RNG fills (its values depend on the mesh); give them "
                          "rules= to fill them from the seed", stacklevel=4)
        saved = {name: p.detach().clone() for name, p in foreign.items()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_torch_seed(key, _join(prefix, mod_name)))
            with torch.no_grad():
                reset()
                for name, value in saved.items():
                    foreign[name].copy_(value)


class _Recorder:
    """What a built-in handler sees: ``fill`` and ``reset_buffers`` record steps."""

    __slots__ = ("_plan", "_mod", "_mod_name")

    def __init__(self, plan, mod, mod_name):
        self._plan, self._mod, self._mod_name = plan, mod, mod_name

    def fill(self, local, fn, *args, **kwargs):
        self._plan.fill(self._mod, self._mod_name, local, fn, args, kwargs)

    def reset_buffers(self, reset):
        self._plan.steps.append(("buffers", reset))


def init_module(module: ModuleT, seed: SeedLike = None, *, rules: Rules | None = None,
                prefix: str = "", threads: ThreadsLike = None) -> ModuleT:
    """Initialize every parameter of a ``torch.nn.Module``, each once, by its
    owner's rule, on the stream named after it.

    Parameters
    ----------
    module : torch.nn.Module
        Parameters on the CPU (plain tensors, or DTensors, as ``fully_shard``
        and ``distribute_module`` make them), of dtype float32, float64,
        float16 or bfloat16; non-contiguous plain ones (channels-last conv
        weights) are filled in logical order and copied in, as PyTorch does.
        A model built on the meta device must be allocated first
        (``model.to_empty(device="cpu")``).
    seed : None, int in [0, 2**64) or numpy.random.SeedSequence
        One key for the whole model; None draws one from OS entropy.
    rules : dict, optional
        Your rules, ``{key: fill}``, ahead of the built-in ones. ``key`` is
        a ``str``, an ``fnmatch`` pattern on parameter names as
        ``module.named_parameters()`` gives them (``"*.bias"``,
        ``"h.*.attn.c_proj.weight"``; ``*`` crosses dots; case-sensitive),
        a compiled ``re.Pattern`` (``fullmatch`` on the name), or a
        ``torch.nn.Module`` subclass (the parameters its instances register
        themselves). ``fill`` is a callable called as ``fill(tensor,
        seed=seed, stream=name, threads=threads)``: any function of this
        module or a ``functools.partial`` of one
        (``partial(normal_, std=0.02)``), or your own; ``None`` leaves the
        parameter as it is. For a module type, ``fill`` may also be a dict
        ``{local name or fnmatch pattern: fill}`` (``{"weight": ones_,
        "bias": zeros_}``).
    prefix : str, default ""
        Prepended (with a dot) to every stream name, e.g. the module's name
        inside a larger model, so that the streams match that model's.
        Rules match the names without it.
    threads : int, optional
        Threads for each fill.

    Returns
    -------
    module
        The same module.

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module``, or for a malformed rule
        (a key of another type; a fill that is not callable or does not
        take ``seed``, ``stream`` and ``threads``).
    ValueError
        For a parameter that is lazy (not materialized), on the meta device,
        not on the CPU, or whose storage is freed (FSDP's ``resize_(0)``),
        or a pattern rule that matches only the second name of a tied
        parameter. Everything is checked before anything is written.

    Notes
    -----
    **Names and streams.** A parameter's name is the first name
    ``module.named_parameters()`` gives it, e.g.
    ``"encoder.layers.0.linear1.weight"``, and it is filled on the stream
    ``prefix + name``, so its values are a pure function of (seed, name,
    rule): they equal the rule's function called with that seed and stream
    on a tensor of the same shape, in any model that contains it, on any
    number of ranks.

    **Tied parameters.** A parameter registered by several modules (a GPT's
    ``wte.weight`` that is also ``lm_head.weight``) is *owned* by the first
    module in ``module.named_modules()`` order that registers it (the one
    its name comes from). It is filled once, under that name, by the rule
    its owner gives it; every other module's rule for it is skipped (a
    module of unknown kind whose ``reset_parameters`` writes it anyway gets
    it restored afterwards).

    **Rule resolution**, for each parameter, the first that applies:

    1. a pattern rule (``str`` or ``re.Pattern``) matching its name, in the
       order of the ``rules`` dict;
    2. a module-type rule for its owner: the classes of
       ``type(owner).__mro__`` in that order, so a rule for a subclass
       beats one for its base class (within a dict value, its keys in
       order, matched against the owner's local name, ``"weight"``);
    3. the built-in rule of the module types below, applied as PyTorch's
       reset methods do: children first, so a container's rule
       (``MultiheadAttention`` zeroing ``out_proj.bias``, ``Transformer``'s
       ``xavier_uniform_`` on every matrix) overrides its children's;
    4. the owner's own ``reset_parameters`` (or ``_reset_parameters``),
       called with PyTorch's global generator seeded from ``seed`` and the
       module's name inside ``torch.random.fork_rng`` (reproducible from
       ``seed``, but PyTorch's samples, and the global generator is left as
       it was); it is not called when every parameter it registers has a
       rule of yours. On DTensor parameters it runs torch's DTensor RNG,
       whose values depend on the mesh; a warning says so;
    5. otherwise the parameter is left as it is, and a warning names it.

    A pattern rule that matches no parameter gets a warning (a typo, most
    often), as does an entry of a type's dict when the model has that type
    but the entry matches none of its parameters.
    Rules apply to parameters; the built-in rules also reset BatchNorm's
    running statistics. A rule replaces the whole built-in rule of a
    parameter (your rule for an ``Embedding`` weight does not zero its
    ``padding_idx`` row).

    **Built-in rules**, each exactly as PyTorch 2.x:

    * ``Linear``, ``Conv*``/``ConvTranspose*`` (and lazy ones once
      materialized): weight ``kaiming_uniform_(a=sqrt(5))``, bias
      ``uniform_(-1/sqrt(fan_in), 1/sqrt(fan_in))``;
    * ``Bilinear``: weight and bias ``uniform_(-1/sqrt(in1), 1/sqrt(in1))``;
    * ``Embedding``, ``EmbeddingBag``: ``normal_(0, 1)``, row
      ``padding_idx`` zeroed;
    * ``BatchNorm*``, ``InstanceNorm*``, ``SyncBatchNorm``: running stats
      reset, weight ones, bias zeros; ``LayerNorm``, ``GroupNorm``,
      ``RMSNorm``: weight ones, bias zeros;
    * ``RNN``, ``LSTM``, ``GRU`` and their cells: every parameter
      ``uniform_(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``;
    * ``MultiheadAttention``: ``xavier_uniform_`` projections, zero
      ``in_proj_bias`` and ``out_proj.bias``, ``xavier_normal_`` ``bias_k``,
      ``bias_v``;
    * ``PReLU``: ``constant_(init)``; ``Transformer``: ``xavier_uniform_``
      on every parameter with more than one dimension.

    A subclass of these that overrides its reset method is not "known": it
    goes to step 4.

    **Sharded models.** On DTensor parameters (FSDP2's ``fully_shard``, with
    or without ``CPUOffloadPolicy``; tensor parallel; HSDP) each rank fills
    its own shard at its global offset and nothing is communicated: the
    gathered model equals the one-process result bit for bit, for any mesh.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from weightinit.torch import init_module
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.LayerNorm(4))
    >>> _ = init_module(net, seed=0)
    >>> bool(net[0].weight.abs().max() < 8 ** -0.5), bool((net[1].weight == 1).all())
    (True, True)
    >>> from weightinit.torch import kaiming_uniform_
    >>> w = kaiming_uniform_(torch.empty(4, 8), a=5 ** 0.5, seed=0, stream="0.weight")
    >>> bool(torch.equal(w, net[0].weight))
    True

    Rules in Hugging Face's style (normal weights, zero biases, ones for
    norms), with no loop:

    >>> from functools import partial
    >>> from weightinit.torch import normal_, ones_, zeros_
    >>> rules = {"*.bias": zeros_,
    ...          torch.nn.Linear: partial(normal_, std=0.02),
    ...          torch.nn.LayerNorm: {"weight": ones_}}
    >>> big = torch.nn.Sequential(torch.nn.Linear(512, 512), torch.nn.LayerNorm(512))
    >>> _ = init_module(big, seed=0, rules=rules)
    >>> round(float(big[0].weight.detach().std()), 3), bool((big[0].bias == 0).all())
    (0.02, True)
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str; got {type(prefix).__name__}")
    if seed is None:
        seed = secrets.randbits(64)
    key = key_from_seed(seed)
    resolve_threads(threads)
    plan = _Plan(module, torch, Rules(rules, torch.nn.Module))
    plan.run(seed, key, prefix, threads)
    return module
