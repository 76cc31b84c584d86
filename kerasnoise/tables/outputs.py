"""The table, the claims' verdicts and the figures of an experiment, made from exactly
the finished runs its command line describes."""

from __future__ import annotations

import collections
import dataclasses
import json
import sys
from pathlib import Path

from kerasnoise.tables.declaration import Curves, Experiment, Outcome, reference_table

__all__ = ["Source", "write_report"]


@dataclasses.dataclass
class Source:
    """An output folder whose finished runs on ``backend`` a report reads: ``runs`` are
    the runs the command line means there (the chosen learning rates' runs where a
    rate is chosen per cell), ``grids`` its cells searched over another grid."""

    folder: Path
    backend: str
    runs: list
    grids: dict = dataclasses.field(default_factory=dict)
    #: the cells (method, axis values) the report takes from this folder
    cells: set = dataclasses.field(default_factory=set)


def write_report(experiment, sweep, sources: list[Source], command, outcome: Outcome) -> None:
    """Tabulate the finished runs of the ``sources`` (the last is the command's own
    folder and backend, where the files go; each cell comes from the source with the
    most finished runs of it, the first on a tie), check the claims, write the files and the
    figures, print the table; fill ``outcome``."""
    from kerasnoise import claims as claims_lib
    from kerasnoise import report
    from kerasnoise._io import atomic_write_json

    out = sources[-1].folder
    frame = cells_frame(sources, sweep)
    if frame.empty:
        print("no finished runs to tabulate yet", file=sys.stderr)
        return
    x, rows = experiment.x_axis, experiment.row_keys()
    by = [report.column_name(k) for k in rows]
    order = list(sweep.methods if experiment.series == "method" else sweep.axes[experiment.series])
    table = report.summarise(
        frame, x, experiment.metric, by=by, methods=order, axis_order=sweep.axes[x]
    )
    table = _with_cell_columns(
        table,
        frame,
        by,
        report.column_name(x),
        experiment.select_lr,
        experiment.metric,
        experiment.columns,
        backends=len(sources) > 1,
    )
    others = [k for k in experiment.axes if k != experiment.series]
    table = report.add_reference(table, reference_table(experiment), x, by=by[0], axes=others)
    verdicts = claims_lib.check_all(experiment.claims, frame, metric=experiment.metric)
    notes = _notes(experiment, command, sweep, sources, len(frame), _planned(sources, sweep))
    tabulated = set(frame["run_id"])
    title, ran = what_ran(
        experiment,
        sweep,
        [r for s in sources for r in s.runs if r.config.run_id(s.backend) in tabulated],
    )
    backend = ", ".join(dict.fromkeys(frame["backend"]))  # the figures' titles say which
    if ran:
        notes = f"Runs: {ran} (the command line's overrides of the preset).\n\n" + notes
    report.write_tables(
        table,
        out,
        title=title,
        notes=notes,
        axis=x,
        labels=experiment.labels,
        by=by,
        verdicts=verdicts,
    )
    atomic_write_json(Path(out) / "claims.json", [dataclasses.asdict(v) for v in verdicts])
    if experiment.panels:
        report.plot_panels(
            table,
            frame,
            x,
            Path(out) / experiment.figure,
            metric=experiment.metric,
            references=[r.name for r in experiment.references],
            title=f"{title} ({backend})" + (f"\n{ran}" if ran else ""),
            labels=experiment.labels,
            by=by,
        )
    else:
        report.plot_vs_axis(
            table,
            x,
            Path(out) / experiment.figure,
            title=f"{title} ({backend})" + (f"\n{ran}" if ran else ""),
            labels=experiment.labels,
            reference="paper" if "paper" in table else None,
            by=by,
        )
    for curves in _all_curves(experiment):
        for where in _curve_cells(frame, by, sweep.axes, curves):
            cell, histories, colours = _curve_runs(
                frame, by, sweep.axes, where, experiment.labels, order, curves.mean_over_seeds
            )
            report.plot_curves(
                histories,
                curves.keys,
                Path(out) / curves.file_for(cell),
                title=curves_title(title, curves, cell),
                ylabel=curves.ylabel,
                colours=colours,
            )
    print(report.wide_markdown(table, x, experiment.labels, by=by))
    if verdicts:
        print("\n" + report.verdicts_markdown(verdicts))
    print(
        f"\nwrote {out}/table.md, table.csv, table.json, claims.json, {experiment.figure}",
        file=sys.stderr,
    )
    outcome.table, outcome.verdicts = table, verdicts


def what_ran(experiment: Experiment, sweep, runs: list) -> tuple[str, str]:
    """The title with ``{model}`` filled from the tabulated runs' models (``resnet50``,
    ``resnet18(width=16)``: what ran, not what the preset declares), and the command
    line's overrides of the preset that change the protocol (``epochs=20, ...``, not
    where the data lives nor speed settings; empty when there are none)."""
    from kerasnoise.config import changes_results
    from kerasnoise.report.groups import describe_component

    models = list(dict.fromkeys(describe_component(r.config.model) for r in runs))
    title = experiment.title.replace("{model}", ", ".join(models) or "?")
    ran = ", ".join(f"{k}={v}" for k, v in sweep.overrides.items() if changes_results(k))
    return title, ran


def _shown_grids(source: Source, sweep) -> dict:
    """Those of the source's cells searched over another grid that the report takes
    from it (keyed as :func:`~kerasnoise.tables.planning.select_learning_rates`
    names them: the axes other than the learning rate, ``key=value, ...``)."""
    from kerasnoise.search import LR_KEY

    shown = {
        ", ".join(f"{k}={v}" for k, v in r.axes.items() if k != LR_KEY)
        for r in source.runs
        if cell_key(r, sweep) in source.cells
    }
    return {cell: g for cell, g in source.grids.items() if cell in shown}


def _planned(sources: list[Source], sweep) -> int:
    """How many runs the table's cells mean: those of each source's cells, and the
    command's own runs in cells no source has finished."""
    taken = set().union(*(s.cells for s in sources))
    return sum(
        1
        for i, s in enumerate(sources)
        for r in s.runs
        if cell_key(r, sweep) in s.cells
        or (i == len(sources) - 1 and cell_key(r, sweep) not in taken)
    )


def cell_key(run, sweep) -> tuple:
    """The table cell a run belongs to: its method and its values of the sweep's axes."""
    return (run.method, *(run.axes[k] for k in sweep.axes))


def curves_title(title: str, curves: Curves, cell: dict) -> str:
    """A per-epoch figure's title: the experiment's subject (its title up to the first
    ``": "``, which says what is tabulated, not what this figure draws), the curves'
    y axis, and the cell the curves come from."""
    subject = title.split(": ", 1)[0]
    where = ", ".join(f"{k} = {v}" for k, v in cell.items())
    return f"{subject}: {curves.ylabel} per epoch" + (f"; {where}" if where else "")


def _all_curves(experiment: Experiment) -> list[Curves]:
    """The experiment's per-epoch figures: the memorisation figure, then its ``curves``."""
    from kerasnoise.report.figures import MEMORISATION_KEYS

    if not experiment.memorisation:
        return list(experiment.curves)
    first = Curves(experiment.memorisation, MEMORISATION_KEYS, ylabel="training examples (%)")
    return [first, *experiment.curves]


def cells_frame(sources: list[Source], sweep):
    """The finished runs of every source (``report.runs_frame`` rows, with the source
    ``folder``), each cell (method and axis values) from the source with the most
    finished runs of it, the first such on a tie (so a folder given with
    ``--cells-from`` before the command's own); records each source's ``cells``."""
    import pandas as pd

    found = [
        _finished_cells(source, sweep, own=i == len(sources) - 1)
        for i, source in enumerate(sources)
    ]
    best: dict[tuple, tuple[int, int]] = {}  # cell -> (finished runs, -source index)
    for i, (_, cells) in enumerate(found):
        for cell, runs in collections.Counter(cells).items():
            best[cell] = max(best.get(cell, (0, 0)), (runs, -i))
    frames = []
    for i, (source, (frame, cells)) in enumerate(zip(sources, found, strict=True)):
        source.cells = {cell for cell, (_, j) in best.items() if j == -i}
        keep = [cell in source.cells for cell in cells]
        frames.append(frame[keep].assign(folder=str(source.folder)))
    nonempty = [f for f in frames if not f.empty]
    return pd.concat(nonempty, ignore_index=True) if nonempty else frames[-1]


def _finished_cells(source: Source, sweep, own: bool) -> tuple:
    """``source``'s finished runs of the table (``report.runs_frame`` rows) and each
    row's cell.  The command's own folder counts its sweep's runs; another folder's run
    is a cell's when its config is, whatever sweep made it."""
    from kerasnoise import report

    cell_of = {r.config.run_id(source.backend): cell_key(r, sweep) for r in source.runs}
    frame = report.runs_frame(source.folder, sweep=sweep.name if own else None)
    frame = frame[frame["run_id"].isin(cell_of)]
    if not own:
        frame = _as_cells(frame.drop_duplicates("run_id"), cell_of, sweep)
    return frame, [cell_of[i] for i in frame["run_id"]]


def _as_cells(frame, cell_of: dict, sweep):
    """``frame``'s runs labelled as this sweep's: its name, and each run's method and
    axis values from its cell (another sweep may name them otherwise)."""
    from kerasnoise import report

    cells = [cell_of[i] for i in frame["run_id"]]
    labels = {"sweep": [sweep.name] * len(cells), "method": [c[0] for c in cells]}
    for k, key in enumerate(sweep.axes, start=1):
        labels[report.column_name(key)] = [c[k] for c in cells]
    return frame.assign(**labels)


def _curve_cells(frame, by: list[str], axes: dict, curves: Curves) -> list[dict]:
    """The cells a :class:`Curves` draws, as ``where`` mappings: its ``where``, or with
    ``every_cell`` each cell of the runs matching it (a value of every axis but the
    series), in the axes' declared order."""
    from kerasnoise import report
    from kerasnoise.claims import select

    if not curves.every_cell:
        return [dict(curves.where)]
    keys = [k for k in axes if report.column_name(k) != by[0]]
    rows = select(frame, dict(curves.where))
    found = set(zip(*(rows[report.column_name(k)] for k in keys), strict=True))
    order = [list(axes[k]) for k in keys]

    def position(cell):
        return [o.index(v) if v in o else len(o) for o, v in zip(order, cell, strict=True)]

    return [dict(zip(keys, cell, strict=True)) for cell in sorted(found, key=position)]


def _curve_runs(frame, by: list[str], axes: dict, where: dict, labels, order, mean=False):
    """The cell drawn (``where``; the other axes at their highest value among the runs;
    a line axis with one value among the cell's runs is the cell's too, named in the
    title rather than in every line's label), ``{line label: history}`` of each
    line's lowest-seed run there, in the series' ``order`` (with ``mean``:
    ``{line label: [history of each seed]}``) and ``{line label: colour}`` (each
    line's method colour, :func:`~kerasnoise.report.colours.line_colours`, when the
    lines are methods, one each)."""
    from kerasnoise import report
    from kerasnoise.claims import select
    from kerasnoise.report.colours import cycle_colours, line_colours
    from kerasnoise.results import rundir

    cell = {}
    for key in axes:
        if key in where:
            cell[key] = where[key]
        elif report.column_name(key) not in by:
            cell[key] = frame[report.column_name(key)].max()
    rows = select(frame, cell).sort_values("seed")
    for key in axes:
        column = report.column_name(key)
        if key not in cell and column != by[0] and rows[column].nunique() == 1:
            cell[key] = rows[column].iloc[0]
    cell = {k: cell[k] for k in axes if k in cell}  # in the axes' order
    fixed = {report.column_name(k) for k in cell}
    named = [b for b in by if b not in fixed] or by[:1]  # the title names the cell
    firsts = list(dict.fromkeys(frame[by[0]]))
    palette = line_colours(firsts) if by[0] == "method" else cycle_colours(firsts)
    found, colours = {}, {}
    groups = [(k if isinstance(k, tuple) else (k,), g) for k, g in rows.groupby(by, sort=False)]
    rank = {v: i for i, v in enumerate(order)}
    for key, group in sorted(groups, key=lambda kg: rank.get(kg[0][0], len(rank))):
        shown = tuple(v for b, v in zip(by, key, strict=True) if b in named)
        histories = []
        for run in (group if mean else group.iloc[:1]).itertuples():
            path = Path(run.folder) / run.run_id / rundir.HISTORY
            if path.is_file():
                history = json.loads(path.read_text())
                histories.append({int(e): h for e, h in history.items()})
        if histories:
            label = report.line_label(shown, named, labels)
            found[label] = histories if mean else histories[0]
            colours[label] = palette[key[0]]
    if len(set(colours.values())) < len(colours):  # lines of one method: one colour each
        colours = {}
    return cell, found, colours


def _with_cell_columns(
    table, frame, by: list[str], x: str, select_lr, metric: str, extra=(), backends=False
):
    """Per cell: the chosen learning rate (``learning_rate``, when chosen), the mean
    steps trained (``steps``), the mean step of the weights scored (``best_step``),
    every seed's value in percent (``per_seed``, ``seed: value``, by seed), the mean
    of each ``extra`` result column (``-`` where no run of the cell has it) and, with
    ``backends``, the backend the cell's runs ran on (``backend``)."""
    cells = frame.groupby([*by, x], sort=False)
    keys = list(zip(*(table[c] for c in [*by, x]), strict=True))

    def per_seed(rows):
        rows = rows.sort_values("seed")
        return ", ".join(
            f"{s}: {100 * v:.2f}" for s, v in zip(rows["seed"], rows[metric], strict=True)
        )

    columns = {
        "steps": cells["steps_run"].mean(),
        "best_step": cells["best_step"].mean(),
        "per_seed": cells[["seed", metric]].apply(per_seed),
        **{name: cells[name].mean().round(4) for name in extra},
    }
    if select_lr is not None:
        columns = {"learning_rate": cells["optimizer_learning_rate"].first(), **columns}
    if backends:
        columns["backend"] = cells["backend"].first()
    return table.assign(**{name: [values.get(k) for k in keys] for name, values in columns.items()})


def _notes(
    experiment: Experiment, command: str, sweep, sources: list[Source], done: int, total: int
) -> str:
    cited = "; ".join(f"**{r.name}**: {r.source}" for r in experiment.references)
    own, others = sources[-1], [s for s in sources[:-1] if s.cells]
    lines = [
        f"Metric: `{experiment.metric}` in percent, mean ± sample std over seeds (n runs); "
        f"backend {own.backend}; {done} of {total} runs finished.",
    ]
    if others:
        lines.append(
            "Cells taken from other folders (`--cells-from`: each cell from the folder "
            "with the most finished runs of it; column `backend`): "
            + "; ".join(f"{len(s.cells)} from `{s.folder}` on {s.backend}" for s in others)
            + "."
        )
    grids = {cell: g for s in sources for cell, g in _shown_grids(s, sweep).items()}
    if cited:
        lines.append(f"Reference columns ({cited}); Δ = ours − reference.")
    lines.append(f"Command: `{command}`")
    if experiment.select_lr is not None:
        choice = experiment.select_lr
        lines.append(
            f"Learning rate chosen per cell from {', '.join(map(str, choice.rates))} by a grid "
            f"search scored on the **{choice.on}** split (column `learning_rate`); the runs "
            "tabulated are the chosen rates' runs only."
        )
        if grids:
            lines.append(
                "Cells searched over another grid: "
                + "; ".join(f"{cell}: {', '.join(map(str, g))}" for cell, g in grids.items())
                + "."
            )
    if experiment.notes:
        lines.append(experiment.notes)
    return "\n\n".join(lines)
