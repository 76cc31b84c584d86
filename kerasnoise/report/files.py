"""A results table written as files: ``table.md``, ``table.csv``, ``table.json``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kerasnoise._io import atomic_write_json, atomic_write_text
from kerasnoise.report.markdown import markdown, verdicts_markdown, wide_markdown


def write_tables(
    table: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    name: str = "table",
    title: str = "",
    notes: str = "",
    axis: str | None = None,
    labels: Mapping[str, str] | None = None,
    by: Sequence[str] = ("method",),
    verdicts: Sequence[Any] = (),
) -> dict[str, Path]:
    """``<name>.md`` (wide and long tables, the claims' verdicts, the notes),
    ``<name>.csv`` and ``<name>.json``, atomically."""
    folder = Path(folder)
    parts = [f"# {title}\n" if title else ""]
    if axis is not None:
        parts.append(wide_markdown(table, axis, labels, by=by) + "\n")
    parts.append(markdown(table, labels, by=by[0]) + "\n")
    if verdicts:
        parts.append("## The paper's claims on these runs\n\n" + verdicts_markdown(verdicts) + "\n")
    if notes:
        parts.append(notes.rstrip() + "\n")
    paths = {
        "md": atomic_write_text(folder / f"{name}.md", "\n".join(p for p in parts if p)),
        "csv": atomic_write_text(folder / f"{name}.csv", table.round(4).to_csv(index=False)),
        "json": atomic_write_json(folder / f"{name}.json", table.to_dict(orient="records")),
    }
    return paths
