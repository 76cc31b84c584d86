"""What Menon et al.'s two synthetic experiments share as declarations: a
:class:`~kerasnoise.tables.ComputedTable` of linear scorers under margin losses named
with their parameters (:func:`~kerasnoise.synthetic.margins.get`), computed with NumPy
and SciPy, and how their tables write a fraction and a loss's τ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy

from kerasnoise.synthetic import margins
from kerasnoise.tables import ComputedTable

__all__ = ["SyntheticTable", "margin_losses", "percent", "tau_of", "tau_cell"]


def margin_losses(losses: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The declared ``{name: parameters}`` as ``{name: margin loss}``, in order.

    Raises:
        ValueError: no loss, an unknown name or a bad ``tau``.
        TypeError: a parameter the loss does not take.
    """
    if not losses:
        raise ValueError(f"losses must name at least one of {', '.join(margins.MARGIN_LOSSES)}")
    return {name: margins.get(name, **dict(params)) for name, params in losses.items()}


def percent(value: float) -> str:
    """A fraction in [0, 1] as a percentage with 2 decimals, for a table cell."""
    return f"{100 * value:.2f}"


def tau_of(loss: Any) -> float | None:
    """The loss's threshold τ, ``None`` for the logistic loss."""
    return getattr(loss, "tau", None)


def tau_cell(tau: Any) -> str:
    """A table's τ cell: 4 significant digits, empty where the loss has no τ."""
    return "" if pd.isna(tau) else f"{tau:.4g}"


class SyntheticTable(ComputedTable):
    """The base of the synthetic experiments' declarations: a computed table whose
    ``losses`` (name -> parameters) are margin losses, computed with NumPy and SciPy
    (no Keras)."""

    losses: dict[str, dict[str, Any]]

    def margin_losses(self) -> dict[str, Any]:
        """The declared losses, built (:func:`margin_losses`)."""
        return margin_losses(self.losses)

    def software(self) -> str:
        return f"NumPy {np.__version__}, SciPy {scipy.__version__}"
