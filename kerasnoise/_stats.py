"""The one aggregation of repeated runs: mean, sample standard deviation and count.

It lives below :mod:`kerasnoise.results.store` (which must not import the report layer)
and is re-exported by :mod:`kerasnoise.report`, where statistics are presented.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np


class Aggregate(NamedTuple):
    """Mean, sample standard deviation (ddof = 1) and number of the values present."""

    mean: float | None
    std: float | None
    n: int


def aggregate(values: Iterable[Any]) -> Aggregate:
    """Mean, sample std (ddof = 1) and count of ``values``, missing values skipped.

    A missing value is ``None`` or a float NaN (a stored NaN reads back as ``None``);
    it counts neither in the mean nor in ``n``, never as 0.  With one value the std
    is 0.0; with none, mean and std are ``None`` and ``n`` is 0.

    Raises:
        TypeError: ``values`` is a string or mapping, or holds something that is not
            a real number (``bool`` and text included).
    """
    if isinstance(values, str | bytes | dict):
        raise TypeError(f"aggregate needs an iterable of numbers, got {type(values).__name__}")
    present = [v for v in map(_real, values) if v is not None and not math.isnan(v)]
    if not present:
        return Aggregate(None, None, 0)
    array = np.asarray(present, dtype=np.float64)
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return Aggregate(float(array.mean()), std, int(array.size))


def _real(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"aggregate needs real numbers or None, got {type(value).__name__} {value!r}"
        )
    return float(value)
