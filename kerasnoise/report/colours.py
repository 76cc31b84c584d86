"""One colour per method in every figure of the project: a fixed palette keyed by the
methods' names (the method keys of ``experiments/`` tables and the registered methods
and losses), and a deterministic colour for any other name that never takes a listed
one.

    method_colour("coteaching")                 # '#9467bd' in every figure
    line_colours(["ce", "gce", "my_method"])    # {name: colour}, distinct in the figure

:data:`METHOD_COLOURS` only grows: a name keeps its colour once it is listed, and a new
method takes a colour no listed name has (add it to :data:`METHOD_COLOURS`, picking
from :data:`SPARE_COLOURS`, to give it a colour of its own for good).  Methods drawn
together in one table have well-separated colours (the strong ``tab10`` ones for the
methods of the MNIST comparison; the light shade of a colour for its variant, e.g.
forward with the true T beside forward with T-hat).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

__all__ = ["METHOD_COLOURS", "SPARE_COLOURS", "method_colour", "line_colours", "cycle_colours"]

#: Method name -> its colour, in every figure.  Append only; never change a colour.
METHOD_COLOURS: dict[str, str] = {
    # the baselines and the methods of the MNIST comparison: tab10, all distinct
    "ce": "#1f77b4",
    "gce": "#ff7f0e",
    "forward_estimated": "#2ca02c",
    "backward_estimated": "#d62728",
    "coteaching": "#9467bd",
    "coteaching_plus": "#8c564b",
    "jocor": "#e377c2",
    "standard": "#7f7f7f",
    "elr": "#bcbd22",
    "dividemix": "#17becf",
    # variants: the light shade of their method's colour
    "ce_clip": "#aec7e8",
    "forward_oracle": "#98df8a",
    "backward_oracle": "#ff9896",
    "coteaching_plus_code": "#c49c94",
    "phuber_gce": "#ffbb78",
    # the other losses: dark shades (tab20b), then the remaining light ones
    "phuber_ce": "#393b79",
    "unhinged": "#637939",
    "linear": "#8c6d31",
    "sce": "#843c39",
    "rce": "#7b4173",
    "nce": "#5254a3",
    "nce_rce": "#ad494a",
    "mae": "#a55194",
    "bootstrap_soft": "#c5b0d5",
    "bootstrap_hard": "#f7b6d2",
    "forward": "#006d2c",
    "backward": "#a50f15",
    "cross_entropy": "#08519c",
}

#: Colours no listed method has: a name not in :data:`METHOD_COLOURS` takes one of
#: these (the same one in every figure unless another unlisted name of the same figure
#: has it already).
SPARE_COLOURS: tuple[str, ...] = (
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
    "#3182bd",
    "#b5cf6b",
    "#e7ba52",
    "#d6616b",
    "#ce6dbd",
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#969696",
    "#8ca252",
    "#bd9e39",
    "#e7969c",
    "#de9ed6",
    "#9c9ede",
    "#cedb9c",
)


def _spare_index(name: str) -> int:
    """Where an unlisted name starts in :data:`SPARE_COLOURS`: a checksum of the name,
    the same in every process (unlike ``hash``)."""
    return zlib.crc32(str(name).encode()) % len(SPARE_COLOURS)


def method_colour(name: str) -> str:
    """The colour of method ``name`` (its listed colour, else its spare colour)."""
    if name in METHOD_COLOURS:
        return METHOD_COLOURS[name]
    return SPARE_COLOURS[_spare_index(name)]


def line_colours(names: Iterable[str]) -> dict[str, str]:
    """``{name: colour}`` for the methods of one figure, all distinct: a listed method
    its colour, an unlisted one its spare colour unless an earlier unlisted name took
    it, then the next free spare (after the spares, matplotlib's ``C0``, ``C1``, ...
    are not used: the spares outnumber the methods of any table)."""
    names = list(dict.fromkeys(names))
    found = {n: METHOD_COLOURS[n] for n in names if n in METHOD_COLOURS}
    taken = set(found.values())
    for name in names:
        if name in found:
            continue
        start = _spare_index(name)
        for step in range(len(SPARE_COLOURS)):
            colour = SPARE_COLOURS[(start + step) % len(SPARE_COLOURS)]
            if colour not in taken:
                break
        else:
            raise ValueError(f"more unlisted methods in one figure than {len(SPARE_COLOURS)}")
        found[name] = colour
        taken.add(colour)
    return {n: found[n] for n in names}


def cycle_colours(values: Iterable) -> dict:
    """``{value: colour}`` of lines that are not methods (models, noise levels), in
    their order: matplotlib's colour cycle ``C0``, ``C1``, ..."""
    values = list(dict.fromkeys(values))
    return {v: f"C{i % 10}" for i, v in enumerate(values)}
