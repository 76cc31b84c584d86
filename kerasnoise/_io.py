"""Small file helpers: results are written atomically, never half-written, as strict JSON."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


def to_json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON (``allow_nan=False``) can hold.

    - float NaN, +inf and -inf, Python or NumPy, become ``None``;
    - NumPy scalars become Python numbers (``bool_`` -> ``bool``), NumPy arrays
      nested lists;
    - mappings become dicts, lists and tuples become lists, recursively;
    - dict keys are kept as they are (JSON then writes ``1`` as ``"1"``), except that
      NumPy scalar keys become Python scalars.

    Everything else (``str``, ``int``, ``bool``, ``None``, and objects JSON cannot hold)
    is returned unchanged, so ``json.dumps`` still raises ``TypeError`` for the latter.
    This is the rule of the results store and of every JSON file of a run directory.
    """
    if isinstance(obj, np.ndarray):
        return [to_json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {_json_key(k): to_json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json_safe(v) for v in obj]
    return obj


def _json_key(key: Any) -> Any:
    return key.item() if isinstance(key, np.generic) else key


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then ``os.replace`` it.

    A crash leaves either the old file or the new one, never a partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` with :func:`atomic_write`."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend: figures for files, no screen needed.
    Every figure of the library starts here."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def atomic_write_figure(fig: Any, path: str | os.PathLike) -> Path:
    """A matplotlib figure as a PNG, laid out tightly, with :func:`atomic_write`; the
    figure is closed afterwards."""
    import matplotlib.pyplot as plt

    try:
        fig.tight_layout()
        return atomic_write(path, lambda f: fig.savefig(f, format="png"))
    finally:
        plt.close(fig)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """``obj`` as strict JSON, ``indent=1``, written with :func:`atomic_write_text`.

    The values go through :func:`to_json_safe` first (NaN/inf are written as ``null``)
    and are dumped with ``allow_nan=False``; a value JSON cannot hold raises
    ``TypeError`` before the file is touched.
    """
    return atomic_write_text(path, json.dumps(to_json_safe(obj), indent=1, allow_nan=False) + "\n")
