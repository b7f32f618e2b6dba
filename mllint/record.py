"""Record classes: the part of ``dataclasses`` mllint uses, at a fraction of its start-up cost.

Why not dataclasses: importing it pulls in ``inspect`` (about 10 ms here), and on Python 3.11 each
``slots=True`` class costs about 0.8 ms to build (the class is made twice and every method is
compiled on its own). mllint defines some 60 records and a one-file run builds about 45 of them
before it reads the Dockerfile, so that alone was a fifth of a cold start (issue 9).

``@record`` reads the class's annotations in order, like ``@dataclass`` does, and adds
``__init__`` (generated and compiled on first use, as fast as a hand-written one), ``__repr__``,
``__eq__`` and, when frozen, ``__hash__`` (shared closures, nothing compiled);
``frozen=True`` forbids assignment, ``slots=True`` rebuilds the class with ``__slots__``.
Methods the class body defines itself are kept. ``field()`` takes ``default``,
``default_factory``, ``compare`` and ``repr``; ``replace()`` copies a record with changes.
"""

from __future__ import annotations

from operator import attrgetter

_MISSING = object()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    __slots__ = ("default", "default_factory", "compare", "repr")

    def __init__(self, default=_MISSING, default_factory=_MISSING, compare=True, repr=True):  # noqa: A002
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot give both default and default_factory")
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr


def field(*, default=_MISSING, default_factory=_MISSING, compare: bool = True, repr: bool = True):  # noqa: A002
    return Field(default, default_factory, compare, repr)


def record(cls=None, /, *, frozen: bool = False, slots: bool = False):
    """Decorate a class, with or without arguments: ``@record`` or ``@record(frozen=True, slots=True)``."""

    def wrap(cls):
        return _build(cls, frozen, slots)

    return wrap if cls is None else wrap(cls)


def replace(obj, /, **changes):
    """A copy of the record ``obj`` with the given fields changed."""
    for name in obj.__record_fields__:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


def _fields(cls) -> dict[str, Field]:
    specs: dict[str, Field] = {}
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, Field):
            specs[name] = value
        elif isinstance(value, (list, dict, set)):
            raise ValueError(f"mutable default {type(value).__name__} for field {name}: use default_factory")
        else:
            specs[name] = Field(default=value)
    return specs


def _init_source(name: str, specs: dict[str, Field], frozen: bool, slots: bool) -> tuple[str, dict]:
    """The source of ``__init__``, and the names it needs (defaults, factories). A frozen record
    with slots stores through its slots' own setters (``_s_<field>``, bound on first use), which
    is a third faster than ``object.__setattr__``."""
    env: dict = {"_MISSING": _MISSING, "_set": object.__setattr__}
    params, body = [], []
    seen_default = False
    for fname, spec in specs.items():
        if spec.default is not _MISSING:
            env[f"_d_{fname}"] = spec.default
            params.append(f"{fname}=_d_{fname}")
            value = fname
        elif spec.default_factory is not _MISSING:
            env[f"_f_{fname}"] = spec.default_factory
            params.append(f"{fname}=_MISSING")
            value = f"_f_{fname}() if {fname} is _MISSING else {fname}"
        else:
            if seen_default:
                raise TypeError(f"{name}: field {fname} without a default follows one with a default")
            params.append(fname)
            value = fname
        seen_default = seen_default or spec.default is not _MISSING or spec.default_factory is not _MISSING
        if not frozen:
            body.append(f"  self.{fname} = {value}")
        else:
            body.append(f"  _s_{fname}(self, {value})" if slots else f"  _set(self, {fname!r}, {value})")
    return f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "  pass"), env


def _lazy_init(name: str, specs: dict[str, Field], frozen: bool, slots: bool):
    """An ``__init__`` that compiles the real one on first use and puts it on the class: a run pays
    only for the records it creates. The source is checked now, so a bad class fails at import."""
    source, env = _init_source(name, specs, frozen, slots)

    def __init__(self, *args, **kwargs):
        cls = self.__class__
        while "__init__" not in cls.__dict__ or cls.__dict__["__init__"] is not __init__:
            cls = cls.__mro__[1]  # a subclass inheriting this record's __init__
        if frozen and slots:
            env.update({f"_s_{f}": cls.__dict__[f].__set__ for f in specs})
        methods: dict = {}
        exec(compile(source, f"<record {name}>", "exec"), env, methods)  # noqa: S102 - generated above
        init = methods["__init__"]
        init.__qualname__ = f"{name}.__init__"
        type.__setattr__(cls, "__init__", init)
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{name}.__init__"
    return __init__


def _methods(name: str, specs: dict[str, Field], frozen: bool, slots: bool, own: dict) -> dict:
    compared = tuple(f for f, s in specs.items() if s.compare)
    shown = tuple(f for f, s in specs.items() if s.repr)
    names = tuple(specs)
    methods: dict = {}
    if "__init__" not in own:
        methods["__init__"] = _lazy_init(name, specs, frozen, slots)

    def __repr__(self):
        return f"{self.__class__.__qualname__}({', '.join(f'{f}={getattr(self, f)!r}' for f in shown)})"

    _key = attrgetter(*compared) if compared else _no_key

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return _key(self) == _key(other)
        return NotImplemented

    def __hash__(self):
        return hash(_key(self))

    values = attrgetter(*names) if len(names) > 1 else (lambda self: tuple(getattr(self, f) for f in names))

    def __reduce__(self):  # pickle and copy rebuild a frozen record through __init__, not setattr
        return self.__class__, values(self)

    for method in (__repr__, __eq__, __hash__, __reduce__):
        method.__qualname__ = f"{name}.{method.__name__}"
    if "__repr__" not in own:
        methods["__repr__"] = __repr__
    if "__eq__" not in own:
        methods["__eq__"] = __eq__
    if not _explicit_hash(own):
        methods["__hash__"] = __hash__ if frozen else None  # as dataclasses: mutable and comparable = unhashable
    if frozen:
        methods.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr, __reduce__=__reduce__)
    return methods


def _no_key(self) -> tuple:
    return ()


def _frozen_setattr(self, name, value):
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenRecordError(f"cannot delete field {name!r}")


def _explicit_hash(own: dict) -> bool:
    """The body defines __hash__ (Python's implicit None beside a body-defined __eq__ does not count)."""
    return "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)


def _build(cls, frozen: bool, slots: bool):
    specs = _fields(cls)
    own = cls.__dict__
    methods = _methods(cls.__qualname__, specs, frozen, slots, own)
    names = tuple(specs)
    if slots:
        body = {k: v for k, v in own.items() if k not in specs and k not in ("__dict__", "__weakref__")}
        body.update(methods, __slots__=names, __record_fields__=names, __match_args__=names)
        return type(cls)(cls.__name__, cls.__bases__, body)
    for fname in specs:  # field() specs are not class attributes to keep
        if isinstance(own.get(fname), Field):
            delattr(cls, fname)
    for key, value in {**methods, "__record_fields__": names, "__match_args__": names}.items():
        setattr(cls, key, value)
    return cls
