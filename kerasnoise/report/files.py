"""A results table written as files: ``table.md`` (:func:`table_document`: the title,
the tables, the notes), ``table.csv`` and ``table.json`` (:func:`write_table`), for a
table aggregated from training runs (:func:`write_tables`) or computed otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kerasnoise._io import atomic_write_json, atomic_write_text
from kerasnoise.report.markdown import markdown, verdicts_markdown, wide_markdown


def table_document(title: str, sections: Sequence[str], notes: str = "") -> str:
    """The text of a ``table.md``: ``# title``, each section (a markdown table, a
    ``## heading`` and its table) and the notes (paragraphs: how to read the table,
    the exact command, ...), one blank line apart, ending in one newline."""
    parts = [f"# {title}\n" if title else ""]
    parts += [section + "\n" for section in sections]
    if notes:
        parts.append(notes.rstrip() + "\n")
    return "\n".join(p for p in parts if p)


def write_table(
    table: pd.DataFrame,
    folder: str | os.PathLike,
    text: str,
    *,
    name: str = "table",
    digits: int | None = 4,
    json: bool = True,
) -> dict[str, Path]:
    """``<name>.md`` (``text``, e.g. a :func:`table_document`), ``<name>.csv`` (the
    ``table``, numbers rounded to ``digits`` decimals; ``None``: as computed) and, with
    ``json``, ``<name>.json`` (its records), each written atomically; returns their
    paths keyed ``md``, ``csv``, ``json``."""
    folder = Path(folder)
    shown = table if digits is None else table.round(digits)
    paths = {
        "md": atomic_write_text(folder / f"{name}.md", text),
        "csv": atomic_write_text(folder / f"{name}.csv", shown.to_csv(index=False)),
    }
    if json:
        paths["json"] = atomic_write_json(folder / f"{name}.json", table.to_dict(orient="records"))
    return paths


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
    sections = []
    if axis is not None:
        sections.append(wide_markdown(table, axis, labels, by=by))
    sections.append(markdown(table, labels, by=by[0]))
    if verdicts:
        sections.append("## The paper's claims on these runs\n\n" + verdicts_markdown(verdicts))
    return write_table(table, folder, table_document(title, sections, notes), name=name)
