"""Figures a reader can read: one colour per method in every figure, one panel per noise
model of a table with two axes besides the method, the legend outside every axes's data
area, and per-epoch curves as a mean over seeds with a band."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kerasnoise.report import colours, figures
from kerasnoise.tables import Curves

pytestmark = pytest.mark.backend_free  # pandas and matplotlib only


@pytest.fixture()
def drawn(monkeypatch):
    """``{file name: Figure}`` of every figure :mod:`kerasnoise.report.figures` saves;
    each with ``boxes``: its legends' and visible axes' window extents (display
    pixels), measured as written (laid out as :func:`~kerasnoise.report.save_figure`
    lays it out, then rendered)."""
    found = {}
    real = figures.save_figure

    def save(fig, path):
        fig.tight_layout()
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        shown = [ax for ax in fig.axes if ax.get_visible()]
        fig.boxes = {
            "legends": [lg.get_window_extent(renderer) for lg in [*legends, *fig.legends]],
            "axes": [(ax.get_title(), ax.get_window_extent(renderer)) for ax in shown],
        }
        found[Path(path).name] = fig
        return real(fig, path)  # lays the figure out the same way, writes and closes it

    monkeypatch.setattr(figures, "save_figure", save)
    return found


def table(methods, noises=("asymmetric", "instance_dependent"), rates=(0.0, 0.2, 0.4)):
    """A method x noise x rate table as ``report.summarise`` makes it (mean, std, n)."""
    rows = [
        {"method": m, "noise": k, "noise_rate": r, "mean": 95 - 10 * r - i, "std": 0.5, "n": 3}
        for i, m in enumerate(methods)
        for k in noises
        for r in rates
    ]
    return pd.DataFrame(rows)


def line_colours_of(fig) -> dict[str, str]:
    """``{legend label: colour}`` of each errorbar line of every axes of ``fig``."""
    from matplotlib.colors import to_hex

    found = {}
    for ax in fig.axes:
        for container in ax.containers:
            label, colour = container.get_label(), to_hex(container.lines[0].get_color())
            assert found.setdefault(label, colour) == colour  # one colour in every panel
    return found


def legend_clear_of_data(fig) -> None:
    """The figure's legends overlap no visible axes's data area (in display pixels)."""
    assert fig.boxes["legends"], "the figure has no legend"
    for box in fig.boxes["legends"]:
        for title, area in fig.boxes["axes"]:
            assert not box.overlaps(area), title


def test_a_method_has_one_colour_in_every_figure(tmp_path, drawn):
    labels = {"ce": "CE", "gce": "GCE", "coteaching": "Co-teaching"}
    by = ["method", "noise"]
    path = tmp_path / "a.png"
    figures.plot_vs_axis(table(["ce", "gce", "jocor"]), "noise.rate", path, labels=labels, by=by)
    figures.plot_vs_axis(
        table(["coteaching", "gce", "my_method", "ce"], noises=("symmetric",)),
        "noise.rate",
        tmp_path / "b.png",
        labels=labels,
        by=["method"],
    )
    a, b = line_colours_of(drawn["a.png"]), line_colours_of(drawn["b.png"])
    assert a["GCE"] == b["GCE"] == colours.METHOD_COLOURS["gce"]
    assert a["CE"] == b["CE"] == colours.METHOD_COLOURS["ce"]
    assert a["jocor"] == colours.METHOD_COLOURS["jocor"]
    # an unlisted method takes a colour no listed method has, the same every time
    assert b["my_method"] == colours.method_colour("my_method")
    assert b["my_method"] not in colours.METHOD_COLOURS.values()
    for found in (a, b):  # no two lines of a figure share a colour
        assert len(set(found.values())) == len(found)


def test_the_palette_never_gives_two_methods_of_a_figure_one_colour():
    listed = list(colours.METHOD_COLOURS.values())
    assert len(set(listed)) == len(listed)
    assert not set(colours.SPARE_COLOURS) & set(listed)
    # the names the project's tables and registries use are listed
    for name in ("standard", "ce", "gce", "unhinged", "forward", "backward", "coteaching"):
        assert name in colours.METHOD_COLOURS
    for name in ("coteaching_plus", "coteaching_plus_code", "jocor", "elr", "dividemix"):
        assert name in colours.METHOD_COLOURS
    # unlisted names whose spare colours collide still get distinct ones, deterministically
    names = [f"method_{i}" for i in range(len(colours.SPARE_COLOURS))]
    first = colours.line_colours(["ce", *names])
    assert len(set(first.values())) == len(first) and first["ce"] == colours.METHOD_COLOURS["ce"]
    assert colours.line_colours(["ce", *names]) == first
    with pytest.raises(ValueError, match="unlisted"):
        colours.line_colours([*names, "one_more"])


def test_a_two_axis_table_draws_a_panel_per_noise_model(tmp_path, drawn):
    reference = table(["ce", "gce"]).assign(paper=lambda t: t["mean"] + 1)
    figures.plot_vs_axis(
        reference,
        "noise.rate",
        tmp_path / "p.png",
        by=["method", "noise"],
        labels={"ce": "CE"},
        reference="paper",
        title="a title",
    )
    fig = drawn["p.png"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["noise = asymmetric", "noise = instance_dependent"]
    for ax in panels:
        # one line per method, labelled by the method only (the panel names the noise)
        assert [c.get_label() for c in ax.containers] == ["CE", "gce"]
        assert ax.get_xlabel() == "noise.rate"
        assert [t for t in ax.get_xticks()] == [0.0, 0.2, 0.4]
    assert panels[0].get_ylabel() == "test accuracy (%)"
    assert panels[0].get_shared_y_axes().joined(panels[0], panels[1])
    (legend,) = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert [t.get_text() for t in legend.get_texts()] == ["CE", "gce", "paper (dashed, ×)"]
    assert fig._suptitle.get_text() == "a title"
    legend_clear_of_data(fig)


def test_many_panels_wrap_and_the_legend_stays_outside(tmp_path, drawn):
    noises = ("a", "b", "c", "d", "e")
    methods = ["standard", "ce", "gce", "coteaching", "jocor", "elr", "dividemix"]
    figures.plot_vs_axis(
        table(methods, noises=noises), "noise.rate", tmp_path / "w.png", by=["method", "noise"]
    )
    fig = drawn["w.png"]
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [
        f"noise = {n}" for n in noises
    ]
    legend_clear_of_data(fig)
    found = line_colours_of(fig)
    assert len(found) == len(methods) == len(set(found.values()))


def test_one_axis_figures_and_curves_keep_the_legend_off_the_data(tmp_path, drawn):
    frame = table(["ce", "gce"], noises=("symmetric",)).drop(columns="noise")
    figures.plot_vs_axis(frame, "noise.rate", tmp_path / "one.png")
    legend_clear_of_data(drawn["one.png"])
    history = {e: {"test_accuracy": 0.5 + 0.01 * e} for e in range(5)}
    epoch = {"train_clean_accuracy": 0.9, "train_noisy_memorised": 0.1}
    figures.plot_memorisation({"Standard": {0: epoch, 1: epoch}}, tmp_path / "m.png")
    legend_clear_of_data(drawn["m.png"])
    figures.plot_curves({"CE": history}, {"test_accuracy": "test"}, tmp_path / "c.png")
    legend_clear_of_data(drawn["c.png"])
    # the check sees a legend inside the data area (matplotlib's own placement)
    fig, ax = figures.new_figure()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.legend(loc="center")
    figures.save_figure(fig, tmp_path / "inside.png")
    with pytest.raises(AssertionError):
        legend_clear_of_data(drawn["inside.png"])


def test_curves_over_seeds_are_their_mean_with_a_band(tmp_path, drawn):
    from matplotlib.colors import to_hex

    seeds = [{e: {"test_accuracy": a + 0.1 * e} for e in range(3)} for a in (0.5, 0.6, 0.7)]
    one = {e: {"test_accuracy": 0.9} for e in range(3)}
    figures.plot_curves(
        {"Co-teaching": seeds, "Standard": one},
        {"test_accuracy": "test accuracy"},
        tmp_path / "s.png",
        colours={"Co-teaching": colours.method_colour("coteaching")},
    )
    (ax,) = drawn["s.png"].axes
    mean, single = ax.get_lines()
    assert mean.get_label() == "Co-teaching" and single.get_label() == "Standard"
    np.testing.assert_allclose(mean.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(mean.get_ydata(), [60, 70, 80])
    assert to_hex(mean.get_color()) == colours.METHOD_COLOURS["coteaching"]
    assert single.get_color() == "C1"  # no colour given: the cycle
    (band,) = ax.collections  # one seed draws no band
    low_high = band.get_paths()[0].vertices[:, 1]
    assert low_high.min() == pytest.approx(50) and low_high.max() == pytest.approx(90)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Co-teaching", "Standard", "band: ± 1 std over seeds"]


def test_curves_every_cell_names_its_file_by_the_cell():
    curves = Curves("acc_{cell}.png", {"test_accuracy": "t"}, every_cell=True)
    assert curves.file_for({"noise": "pair_flip", "noise.rate": 0.45}) == "acc_pair_flip_0.45.png"
    assert Curves("acc.png", {"test_accuracy": "t"}).file_for({"noise.rate": 0.5}) == "acc.png"
    with pytest.raises(ValueError, match="cell"):
        Curves("acc.png", {"test_accuracy": "t"}, every_cell=True)
    with pytest.raises(ValueError, match="cell"):
        Curves("acc_{cell}.png", {"test_accuracy": "t"})


def test_panels_per_method_keep_each_methods_colour_and_the_legend_outside(tmp_path, drawn):
    """Menon et al.'s figure: a panel per method, each in its method's colour (the
    colour it has in every other figure), the references grey, one legend outside."""
    from matplotlib.colors import to_hex

    from kerasnoise.report.colours import method_colour

    frame = table(["ce", "gce", "forward"], noises=("symmetric",)).drop(columns="noise")
    frame["paper"] = frame["mean"] - 1
    runs = frame.assign(seed=0, test_accuracy_last=frame["mean"] / 100)
    figures.plot_panels(
        frame, runs, "noise.rate", tmp_path / "p.png", metric="test_accuracy_last",
        references=["paper"],
    )  # fmt: skip
    fig = drawn["p.png"]
    legend_clear_of_data(fig)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["ce", "gce", "forward"]
    for ax, method in zip(shown, ["ce", "gce", "forward"], strict=True):
        (ours,) = ax.containers
        assert to_hex(ours.lines[0].get_color()) == to_hex(method_colour(method))
        (paper,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert to_hex(paper.get_color()) == to_hex("0.4")
    labels = [t.get_text() for t in shown[-1].get_legend().get_texts()]
    assert labels == ["ours (mean ± std)", "our seeds", "paper"]
