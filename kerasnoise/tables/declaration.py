"""What a paper table or figure is: methods × axes × seeds over a preset, what the paper
reported and claimed, and how the learning rate is chosen per cell."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kerasnoise._args import declaring_module
from kerasnoise.config import SELECT_ON, ExperimentConfig

__all__ = [
    "Experiment",
    "Curves",
    "LRChoice",
    "Outcome",
    "reference_table",
    "check_declaration",
]


@dataclasses.dataclass(frozen=True)
class LRChoice:
    """Choose the learning rate per cell, as papers that report "the best rate per
    (model, noise level)" do: a keras-tuner grid search (:mod:`kerasnoise.search`)
    over ``rates`` for every method and value of the other axes, one search level per
    x-axis value, scored on the validation split ``on`` (``clean-validation``: the
    true labels of held-out training images, an oracle a user of real noisy data
    lacks; ``noisy-validation``: the run's own noise on them).  Each cell's chosen
    rate is then trained with the experiment's seeds and only those runs are
    tabulated, with the rate in a ``learning_rate`` column.  Needs a validation split
    in the preset and the ``tuner`` extra.
    """

    rates: Sequence[float]
    on: str = "clean-validation"
    executions: int = 1

    def __post_init__(self) -> None:
        if self.on not in SELECT_ON:
            raise ValueError(f"LRChoice.on must be one of {', '.join(SELECT_ON)}, got {self.on!r}")
        if not self.rates or any(not isinstance(r, int | float) or r <= 0 for r in self.rates):
            raise ValueError(f"LRChoice.rates must be positive numbers, got {self.rates!r}")


@dataclasses.dataclass(frozen=True)
class Curves:
    """A per-epoch figure of an experiment: history keys of each line's run in one cell.

    Args:
        file: the figure's file name (``label_precision.png``).
        keys: history key -> its legend text (``{"label_precision_1": "label
            precision"}``); each key gets its own line style, each line its colour.
        where: the cell drawn, as axis values (``{"noise.rate": 0.5}``); axes left out
            take their highest value; each line's lowest seed is drawn.  With
            ``every_cell``: which cells are drawn (all when empty).
        ylabel: the y axis's label (values are drawn in percent).
        every_cell: one figure per cell (each noise setting: a value of every axis
            but the series) that has finished runs, ``{cell}`` in ``file`` replaced by
            its values (``test_accuracy_{cell}.png`` ->
            ``test_accuracy_symmetric_exclusive_0.5.png``).
        mean_over_seeds: each line the mean over the cell's seeds with a band of ± one
            sample std, instead of its lowest seed's run.
    """

    file: str
    keys: Mapping[str, str]
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    ylabel: str = "%"
    every_cell: bool = False
    mean_over_seeds: bool = False

    def __post_init__(self) -> None:
        if not self.file.endswith(".png"):
            raise ValueError(f"Curves.file must name a .png file, got {self.file!r}")
        if not self.keys:
            raise ValueError("Curves.keys must name at least one history key")
        if self.every_cell != ("{cell}" in self.file):
            raise ValueError(
                f"Curves.file {self.file!r}: name '{{cell}}' in it exactly when every_cell"
            )

    def file_for(self, cell: Mapping[str, Any]) -> str:
        """The file name of the figure of ``cell`` (``{axis key: value}``)."""
        if not self.every_cell:
            return self.file
        return self.file.replace("{cell}", "_".join(str(v) for v in cell.values()))


@dataclasses.dataclass
class Experiment:
    """What a paper table or figure is: methods × axes × seeds over a preset, and
    what the paper reported (``references``) and claimed (``claims``).

    Args:
        name: sweep name (recorded with every run) and default output folder name.
        title: heading of the table and figure; ``{model}`` in it is filled from the
            runs tabulated (``lenet5``, ``resnet18(width=16)``: what ran, whatever the
            preset declares).
        preset: base configuration: a preset's name or an ``ExperimentConfig``.
        methods: method name -> config overrides.
        axes: config key -> its default values, in order; the last is the x axis.
        exclude: points of methods × axes not run (:class:`kerasnoise.sweep.Sweep`'s
            ``exclude``): their cells show ``-``.
        flags: config key -> its command-line flag (default: the key's last part,
            pluralised: ``noise.rate`` -> ``--rates``, ``batch_size`` -> ``--batch-sizes``).
        series: the column whose values make the figure's lines and the table's rows:
            ``method`` or one of the axes (e.g. ``model``).
        labels: method or series value -> the paper's label (``"CE + clipping"``).
        seeds: default training seeds.
        references: :class:`kerasnoise.presets.Reference` sets: each is a column of
            the table, keyed ``{series value: {x value: %}}``, cited by its source.
        claims: the paper's qualitative claims (:mod:`kerasnoise.claims`), checked on
            every report.
        metric: the result field tabulated (``test_accuracy_last``: no oracle).
        quick: overrides of ``--quick``, a newcomer's first look; ``quick_seeds`` its seeds.
        figure: file name of the figure.
        panels: draw one panel per line (its own y range, every seed as a dot, the
            references beside ours) instead of all lines on one axis.
        memorisation: file name of a second figure, per epoch, of the accuracy on the
            clean and on the noisy training examples (against their true and their
            given labels) of each line's run at the x axis's highest value (lowest
            seed); empty: none.
        curves: more per-epoch figures (:class:`Curves`), e.g. label precision.
        notes: markdown appended to ``table.md`` (how to read the table).
        columns: result fields (:data:`kerasnoise.report.RESULT_COLUMNS`) shown per
            cell beside the metric, as their mean over seeds (e.g. ``transition_mae``).
        select_lr: an :class:`LRChoice`: choose the learning rate per cell by a search.
        module: the declaring script's module (found by itself), for the command line.
    """

    name: str
    title: str
    preset: str | ExperimentConfig
    methods: dict[str, dict[str, Any]]
    axes: dict[str, Sequence]
    flags: dict[str, str] = dataclasses.field(default_factory=dict)
    series: str = "method"
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    references: Sequence[Any] = ()
    claims: Sequence[Any] = ()
    metric: str = "test_accuracy_last"
    quick: dict[str, Any] = dataclasses.field(default_factory=dict)
    quick_seeds: list[int] = dataclasses.field(default_factory=lambda: [0])
    figure: str = "accuracy_vs_noise.png"
    panels: bool = False
    memorisation: str = ""
    curves: Sequence[Curves] = ()
    notes: str = ""
    select_lr: LRChoice | None = None
    exclude: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    columns: Sequence[str] = ()
    module: str = ""

    def __post_init__(self) -> None:
        if not self.module:
            self.module = declaring_module()
        if not self.axes:
            raise ValueError(f"experiment {self.name!r} needs at least one axis")
        for key, values in self.axes.items():
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"axis {key!r} must be a non-empty list, got {values!r}")
        unknown = set(self.flags) - set(self.axes)
        if unknown:
            raise ValueError(f"flags name keys that are not axes: {sorted(unknown)}")
        if self.series != "method" and self.series not in self.axes:
            raise ValueError(f"series must be 'method' or an axis, got {self.series!r}")
        if self.series == self.x_axis:
            raise ValueError(f"series {self.series!r} cannot also be the x axis")
        if self.exclude and self.select_lr is not None:
            raise ValueError("exclude is not supported with select_lr (every cell is searched)")

    @property
    def x_axis(self) -> str:
        """The last axis: the figure's x axis and the wide table's columns."""
        return list(self.axes)[-1]

    def flag(self, key: str) -> str:
        """The command-line flag of axis ``key``, without the dashes."""
        if key in self.flags:
            return self.flags[key]
        last = key.split(".")[-1].replace("_", "-")
        return last if last.endswith("s") else f"{last}s"

    def sweep(
        self,
        *,
        methods: Sequence[str] | None = None,
        axes: dict[str, Sequence] | None = None,
        seeds: Sequence[int] | None = None,
        overrides: dict[str, Any] | None = None,
        data_dir: str | None = None,
    ):
        """The declared sweep (:class:`kerasnoise.sweep.Sweep`), or the part of it the
        arguments name: ``axes`` replace the declared values key by key."""
        from kerasnoise import sweep as sweep_lib

        chosen = axes or {}
        return sweep_lib.Sweep(
            name=self.name,
            preset=self.preset,
            methods={m: self.methods[m] for m in (methods or self.methods)},
            axes={k: list(chosen.get(k) or v) for k, v in self.axes.items()},
            seeds=list(seeds or self.seeds),
            overrides=dict(overrides or {}),
            data_dir=data_dir,
            exclude=list(self.exclude),
        )

    def row_keys(self) -> list[str]:
        """The table's row columns: the series, then the axes other than x and the series."""
        others = [k for k in self.axes if k not in (self.x_axis, self.series)]
        return [self.series, *others]


@dataclasses.dataclass
class Outcome:
    """What :func:`run` made: the table, the claims' verdicts, and where it wrote them."""

    table: Any  # pandas.DataFrame; empty when no run is finished
    verdicts: list
    out: Path
    trained: int = 0
    failed: dict = dataclasses.field(default_factory=dict)
    #: cells whose learning rate was chosen from another grid than the declared one
    grids: dict = dataclasses.field(default_factory=dict)


def reference_table(experiment: Experiment) -> dict:
    """The references as ``report.add_reference`` takes them:
    ``{series value: {x value: {reference name: %}}}``."""
    merged: dict = {}
    for reference in experiment.references:
        for line, by_x in reference.values.items():
            for x, value in by_x.items():
                merged.setdefault(line, {}).setdefault(x, {})[reference.name] = value
    return merged


def check_declaration(experiment: Experiment) -> None:
    """Raise ``ValueError`` unless the declaration is well formed without training:
    the sweep expands, references and claims name known methods and axis values."""
    from kerasnoise.report import RESULT_COLUMNS

    experiment.sweep().expand()
    unknown = [c for c in experiment.columns if c not in RESULT_COLUMNS]
    if unknown:
        raise ValueError(f"columns {unknown} are not result columns: {', '.join(RESULT_COLUMNS)}")
    lines = (
        experiment.methods if experiment.series == "method" else experiment.axes[experiment.series]
    )
    for reference in experiment.references:
        for line, by_x in reference.values.items():
            if line not in lines:
                raise ValueError(f"reference {reference.name!r} names unknown {line!r}")
            others = [k for k in experiment.axes if k != experiment.series]
            for x in by_x:
                keys, values = (others, x) if isinstance(x, tuple) else ([experiment.x_axis], (x,))
                if len(keys) != len(values) or not all(
                    any(v == a for a in experiment.axes[k])
                    for k, v in zip(keys, values, strict=True)
                ):
                    raise ValueError(
                        f"reference {reference.name!r}: {x!r} is not a point of the axes "
                        f"{', '.join(keys)}"
                    )
    for claim in experiment.claims:
        if not isinstance(getattr(claim, "text", None), str) or not hasattr(claim, "check"):
            raise ValueError(f"not a claim: {claim!r}")
