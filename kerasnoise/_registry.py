"""The by-name lookup shared by the noise models, losses and models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


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
    key = identifier.lower().replace("-", "_") if isinstance(identifier, str) else identifier
    if key not in registry:
        raise ValueError(f"unknown {kind} {identifier!r}; available: {', '.join(registry)}")
    try:
        return registry[key](**params)
    except TypeError as err:
        if "argument" in str(err):  # unexpected or missing keyword
            raise TypeError(f"{kind} {key!r}: {err}") from None
        raise
