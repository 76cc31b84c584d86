"""Tables computed in this process, not aggregated from training runs: a declaration
that measures by itself (NumPy fits, a loss over a grid: Menon et al.'s synthetic
experiments, :mod:`kerasnoise.synthetic`) and says how its table reads, while the
command line, the output folder and the files are the tables framework's.

    @dataclasses.dataclass
    class Grid(ComputedTable):
        name: str
        title: str
        notes: str = ""
        module: str = ""

        def __post_init__(self):
            self.module = self.module or declaring_module()

        def add_arguments(self, parser): ...   # its options (--out is added for it)
        def check(self, **options): ...        # the options, checked, as a dict
        def run(self, **options): ...          # an outcome: table, parameters, seconds
        def markdown(self, outcome): ...       # the table in markdown
        def describe(self, outcome): ...       # paragraphs: what it shows, the parameters

    if __name__ == "__main__":
        sys.exit(kerasnoise.tables.main(EXPERIMENT))   # as for an Experiment

Outputs in ``--out`` (default ``runs/<name>``), each written atomically: ``table.md``
(:func:`kerasnoise.report.table_document`: the table, the description, the exact
command, the wall time, the declaration's notes), ``table.csv``
(:func:`kerasnoise.report.write_table`) and the declaration's own files
(:meth:`ComputedTable.write_files`: per-draw values, figures).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from kerasnoise._args import add_out, script_command
from kerasnoise.report import table_document, write_table
from kerasnoise.tables.planning import output_folder

__all__ = ["ComputedTable", "computed_parser", "main_computed", "run_computed"]


class ComputedTable:
    """The base of a declaration whose table is computed, not aggregated from runs.

    A subclass is a dataclass with ``name`` (the default output folder's name),
    ``title`` (the heading), ``notes`` (markdown appended to ``table.md``) and
    ``module`` (the declaring script's, for the command line: set it with
    ``kerasnoise._args.declaring_module()`` in ``__post_init__``), and implements
    :meth:`add_arguments`, :meth:`check`, :meth:`run`, :meth:`markdown` and
    :meth:`describe`; :meth:`timing`, :meth:`software` and :meth:`write_files` say
    more where it has more to say.  The outcome of :meth:`run` has ``table`` (a
    pandas DataFrame, written as ``table.csv``), ``parameters`` (a dict) and
    ``seconds`` (the wall time of the measurement).
    """

    #: Decimals of ``table.csv``'s numbers; ``None``: as computed.
    csv_digits: ClassVar[int | None] = None

    name: str
    title: str
    notes: str
    module: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the options of :meth:`run` to the command line (``--out`` is added
        for it; a ``--no-progress`` flag becomes the option ``progress``)."""
        raise NotImplementedError

    def check(self, **options: Any) -> dict[str, Any]:
        """The options, checked before any work: ``ValueError``/``TypeError`` naming
        the bad one."""
        raise NotImplementedError

    def run(self, **options: Any) -> Any:
        """Measure; returns an outcome with ``table``, ``parameters``, ``seconds``."""
        raise NotImplementedError

    def markdown(self, outcome: Any) -> str:
        """The table in markdown (:func:`kerasnoise.report.markdown_table`)."""
        raise NotImplementedError

    def describe(self, outcome: Any) -> list[str]:
        """The paragraphs of ``table.md`` before the command: what the table shows,
        the parameters."""
        raise NotImplementedError

    def timing(self, outcome: Any) -> str:
        """What the wall time covers, after the seconds (``"for the fits (2
        processes)"``); empty: the measurement."""
        return ""

    def software(self) -> str:
        """The libraries that computed the table, with their versions, for the wall
        time's line (``"NumPy 2.4.6, SciPy 1.17.1"``); empty: none named."""
        return ""

    def write_files(self, outcome: Any, out: Path) -> dict[str, Path]:
        """The declaration's files besides ``table.md`` and ``table.csv`` (per-draw
        values, figures) in ``out``, keyed by what they are."""
        return {}

    def write(self, outcome: Any, out: str | os.PathLike, command: str) -> dict[str, Path]:
        """``table.md`` (the title, the table, :meth:`describe`'s paragraphs, the
        exact ``command``, the wall time, the ``notes``), ``table.csv`` and
        :meth:`write_files`'s files in ``out``; returns their paths."""
        out = Path(out)
        timing, software = self.timing(outcome), self.software()
        notes = [
            *self.describe(outcome),
            f"Command: `{command}`",
            f"Wall time: {outcome.seconds:.1f} s"
            + (f" {timing}" if timing else "")
            + (f"; {software}" if software else "")
            + ".",
        ]
        if self.notes:
            notes.append(self.notes)
        text = table_document(self.title, [self.markdown(outcome)], "\n\n".join(notes))
        paths = write_table(outcome.table, out, text, digits=self.csv_digits, json=False)
        return paths | self.write_files(outcome, out)


def computed_parser(table: ComputedTable) -> argparse.ArgumentParser:
    """The command line of ``table``: its own options and ``--out``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {table.module}",
        description=table.title,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    table.add_arguments(parser)
    add_out(parser, f"runs/{table.name}", help="output folder")
    return parser


def main_computed(
    table: ComputedTable,
    parser: argparse.ArgumentParser,
    argv: Sequence[str],
    drop: Sequence[str] = (),
) -> int:
    """Compute ``table`` as the command line ``argv`` says (``drop``: destinations
    that are not options of :meth:`ComputedTable.run`, such as
    :func:`~kerasnoise.tables.main_among`'s flag); write and print it.  Bad options
    and an output folder that cannot be made end with a usage error before any
    work."""
    argv = list(argv)
    args = vars(parser.parse_args(argv))
    out = args.pop("out")
    for name in drop:
        args.pop(name, None)
    if "no_progress" in args:
        args["progress"] = not args.pop("no_progress")
    try:
        table.check(**args)
        folder = output_folder(out, table.name)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    _finish(table, table.run(**args), folder, script_command(table.module, argv))
    return 0


def run_computed(table: ComputedTable, *, out: str | os.PathLike | None = None, **options) -> Any:
    """:func:`kerasnoise.tables.run` for a computed table: check the options, compute,
    write the files in ``out`` (default ``runs/<name>``) and print the table; returns
    the outcome.  ``ValueError``/``TypeError`` for a bad option, before any work."""
    table.check(**options)
    folder = output_folder(out, table.name)
    shown = ", ".join([table.module, *(f"{k}={v!r}" for k, v in options.items())])
    return _finish(table, table.run(**options), folder, f"kerasnoise.tables.run({shown})")


def _finish(table: ComputedTable, outcome: Any, out: Path, command: str) -> Any:
    paths = table.write(outcome, out, command)
    print(table.markdown(outcome))
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    return outcome
