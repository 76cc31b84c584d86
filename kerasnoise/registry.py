"""Name registries: the built-in components, those registered in code, and plug-ins that
installed packages declare as Python entry points.

Public: :class:`PluginError` (an installed plug-in failed to import), :func:`refresh`
(after installing or removing a plug-in package in a running interpreter),
:func:`registries`, and :class:`Registry` for a kind of your own.

:mod:`kerasnoise.losses`, :mod:`kerasnoise.models`, :mod:`kerasnoise.noise` and
:mod:`kerasnoise.datasets` each hold one :class:`Registry`.  A name is looked up among
the built-in and registered components first; only a name that is not there is looked
up among the entry points of the registry's group (``kerasnoise.losses``, ...), so
``import kerasnoise`` reads no package metadata and imports no plug-in.  An entry
point's name is the component's name; the object it points to is checked as a
registered one is and then kept, so each plug-in is imported once.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PluginError", "Registry", "lookup", "normalize", "refresh", "registries"]

_NAME = re.compile(r"[a-z0-9_][a-z0-9_.]*")
#: Every registry made, so that :func:`refresh` reaches them all.
_REGISTRIES: list[Registry] = []


class PluginError(ImportError):
    """An installed plug-in (an entry point) could not be imported."""


def normalize(name: Any) -> Any:
    """Names are case-insensitive, ``-`` may stand for ``_``, outer blanks are dropped."""
    return name.strip().lower().replace("-", "_") if isinstance(name, str) else name


def lookup(
    kind: str,
    registry: Mapping[str, Callable[..., Any]],
    identifier: Any,
    params: Mapping[str, Any],
) -> Any:
    """``registry[identifier](**params)``, with errors that name ``kind`` and the choices.

    Names are case-insensitive and ``-`` may stand for ``_``.

    Raises:
        ValueError: unknown name (the message lists the available ones).
        TypeError: an unexpected or missing parameter (the message names the entry).
    """
    key = normalize(identifier)
    if key not in registry:
        raise ValueError(f"unknown {kind} {identifier!r}; available: {', '.join(registry)}")
    return call(kind, key, registry[key], params)


def call(kind: str, key: str, factory: Callable[..., Any], params: Mapping[str, Any]) -> Any:
    """``factory(**params)``; a wrong keyword is a ``TypeError`` naming the entry."""
    try:
        return factory(**params)
    except TypeError as err:
        if "argument" in str(err):  # unexpected or missing keyword
            raise TypeError(f"{kind} {key!r}: {err}") from None
        raise


def registries() -> list[Registry]:
    """The registries of the modules imported so far, by entry-point group."""
    return sorted(_REGISTRIES, key=lambda r: r.group)


def refresh() -> None:
    """Forget the entry points every registry has read, and the plug-ins loaded from them.

    Call it after installing or removing a plug-in package in a running interpreter
    (tests, notebooks), after ``importlib.invalidate_caches()``.
    """
    for registry in _REGISTRIES:
        registry.refresh()


class Registry:
    """Components of one kind by name: built-in, registered in code, or plug-ins.

    Args:
        kind: what the components are, for messages (``"loss"``, ``"noise model"``).
        group: the entry-point group of plug-ins (``"kerasnoise.losses"``).
        builtins: the library's own components, ``{name: object}`` (aliases allowed).
        check: ``check(name, obj) -> obj``, applied to every component registered in
            code or loaded from an entry point (not to the built-in ones): raises
            ``TypeError``/``ValueError`` for an object that breaks the contract, and may
            prepare it (returns what is kept).

    A component registered through :meth:`register` by a module of ``kerasnoise``
    itself (a package's own submodule, imported normally) is listed as ours.
    """

    def __init__(
        self,
        kind: str,
        group: str,
        builtins: Mapping[str, Any],
        *,
        check: Callable[[str, Any], Any] | None = None,
    ):
        self.kind = kind
        self.group = group
        self._check = check or (lambda name, obj: obj)
        self._builtin = tuple(normalize(n) for n in builtins)
        self._entries: dict[str, Any] = {normalize(n): obj for n, obj in builtins.items()}
        #: each name as it was given (a preset's ``menon-mnist-lenet``), by its key
        self._names: dict[str, str] = {normalize(n): n for n in builtins}
        self._origins: dict[str, str] = {}  # name -> "registered in code" or the entry point
        self._entry_points: dict[str, list[importlib.metadata.EntryPoint]] | None = None
        self._own: list[str] = []  # names our modules registered: ours, not plug-ins
        _REGISTRIES.append(self)

    # ------------------------------------------------------------------ registration

    def register(self, name: str, obj: Any = None, *, replace: bool = False) -> Any:
        """Add ``obj`` under ``name``; without ``obj``, a decorator that does.

        Returns ``obj`` (or the decorator), so ``@registry.register("x")`` leaves the
        decorated class or function as it was.

        Raises:
            ValueError: ``name`` exists (built-in or not) and ``replace`` is false, or
                it is not a name (letters, digits, ``_`` and ``.``).
            TypeError: ``obj`` breaks the contract of the registry's components.
        """
        key = self._key(name)
        if not isinstance(replace, bool):
            raise TypeError(f"replace must be True or False, got {replace!r}")
        if obj is None:
            return lambda target: self.register(name, target, replace=replace)
        if key in self._entries and not replace:
            raise ValueError(
                f"{self.kind} {key!r} exists already ({self.origin(key)}); pass "
                "replace=True to replace it"
            )
        self._entries[key] = self._check(key, obj)
        self._names[key] = name.strip()
        module = getattr(obj, "__module__", None) or ""
        if module.split(".")[0] == "kerasnoise":  # ours, registered as a user's would be
            self._origins[key] = f"registered by {module}"
            self._own.append(key)
        else:
            self._origins[key] = "registered in code"
            self._own = [n for n in self._own if n != key]  # a user's replacement
        return obj

    def _key(self, name: Any) -> str:
        if not isinstance(name, str):
            raise TypeError(f"a {self.kind} name must be a string, got {name!r}")
        key = normalize(name)
        if not _NAME.fullmatch(key):
            raise ValueError(
                f"{self.kind} name {name!r} must be letters, digits, '_' and '.' (a '-' "
                "counts as '_')"
            )
        return key

    # ------------------------------------------------------------------ lookup

    def has(self, name: Any) -> bool:
        """Whether ``name`` names a component, by the same rule as :meth:`get`
        (case-insensitive, ``-`` for ``_``; plug-ins included, an entry point is not
        imported to answer)."""
        if not isinstance(name, str):
            return False
        key = normalize(name)
        return key in self._entries or key in self._plugins()

    def get(self, name: Any) -> Any:
        """The component named ``name`` (case-insensitive, ``-`` for ``_``), importing
        its plug-in if it is one.

        Raises:
            ValueError: unknown name; the message lists the available ones.
            PluginError: the name's plug-in failed to import (the message names the
                entry point and its distribution).
        """
        key = normalize(name)
        if isinstance(key, str):
            if key in self._entries:
                return self._entries[key]
            if key in self._plugins():
                return self._load(key)
        raise ValueError(f"unknown {self.kind} {name!r}; available: {', '.join(self.available())}")

    def build(self, name: Any, params: Mapping[str, Any]) -> Any:
        """``get(name)(**params)``; a wrong keyword is a ``TypeError`` naming the entry."""
        return call(self.kind, normalize(name), self.get(name), params)

    def available(self) -> list[str]:
        """Every name: ours and those registered in code, in order, then the plug-ins'."""
        ours = [self._names.get(n, n) for n in self._entries]
        return [*ours, *(n for n in self._plugins() if n not in self._entries)]

    def builtins(self) -> list[str]:
        """The library's own names (aliases included; those its own modules register
        through :meth:`register` last)."""
        names = [*self._builtin, *(n for n in self._own if n not in self._builtin)]
        return [self._names.get(n, n) for n in names]

    def plugins(self) -> dict[str, str]:
        """``{name: where it comes from}`` of every component that is not built in:
        registered in code, or an installed entry point (not imported to answer)."""
        found = {n: o for n, o in self._origins.items() if n not in self._own}
        for name, points in self._plugins().items():
            if name not in self._entries:
                found[name] = _describe(points[0], self.group)
        return found

    def origin(self, name: str) -> str:
        """Where the component ``name`` comes from, in words."""
        if name in self._origins:
            return self._origins[name]
        return "built in" if name in self._builtin else "unknown"

    def refresh(self) -> None:
        """Forget the entry points read and the plug-ins loaded from them."""
        loaded = [n for n, o in self._origins.items() if o.startswith("entry point")]
        for name in loaded:
            del self._entries[name], self._origins[name]
        self._entry_points = None

    # ------------------------------------------------------------------ entry points

    def _plugins(self) -> dict[str, list[importlib.metadata.EntryPoint]]:
        """The group's entry points by name, read once (metadata only, nothing imported)."""
        if self._entry_points is None:
            import importlib.metadata  # here: reading metadata is not a cost of importing us

            found: dict[str, list[importlib.metadata.EntryPoint]] = {}
            for point in importlib.metadata.entry_points(group=self.group):
                same = found.setdefault(normalize(point.name), [])
                if all(p.value != point.value for p in same):  # a package seen twice on the path
                    same.append(point)
            self._entry_points = found
        return self._entry_points

    def _load(self, key: str) -> Any:
        points = self._plugins()[key]
        if len(points) > 1:
            raise ValueError(
                f"{self.kind} {key!r} is declared by several installed plug-ins: "
                + "; ".join(_describe(p, self.group) for p in points)
                + ". Uninstall all but one."
            )
        (point,) = points
        where = _describe(point, self.group)
        try:
            obj = point.load()
        except Exception as err:
            raise PluginError(
                f"the {self.kind} plug-in {key!r} failed to import: {where}: "
                f"{type(err).__name__}: {err}"
            ) from err
        if key in self._entries:  # its module registered it in code while importing
            if self._entries[key] is not obj:
                raise ValueError(
                    f"{where} points to {obj!r}, but importing it registered another "
                    f"{self.kind} under {key!r}: {self._entries[key]!r}"
                )
        else:
            try:
                self._entries[key] = self._check(key, obj)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{where}: {err}") from None
        self._origins[key] = where
        return self._entries[key]


def _describe(point: importlib.metadata.EntryPoint, group: str) -> str:
    dist = getattr(point, "dist", None)
    package = f"{dist.name} {dist.version}" if dist is not None else "an unnamed distribution"
    return f"entry point {point.name} = {point.value} in group {group} of {package}"
