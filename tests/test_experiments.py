"""experiments/menon_mnist: its command line's bad input, and a tiny real table."""

import pandas as pd
import pytest

from experiments import menon_mnist
from kerasnoise.experiment import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--methods", "ce,nope"], "unknown method 'nope'"),
        (["--shard", "3/2"], "shard must be I/N"),
        (["--shard", "0/0"], "shard must be I/N"),
        (["--seeds", ""], "comma-separated list"),
        (["--rates", "0.2,x"], "not a list of float"),
        (["--rates", "1.5"], "rate"),
        (["bogus=1"], "unknown config key bogus"),
        (["--jobs", "-1"], "--jobs"),
    ],
)
def test_bad_input_is_refused_before_training(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(menon_mnist.EXPERIMENT, [*argv, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("*/"))  # nothing trained


def test_unwritable_out_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):
        main(menon_mnist.EXPERIMENT, ["--out", str(tmp_path / "file" / "out")])
    assert "not a writable folder" in capsys.readouterr().err


def test_tiny_table(shared_data, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "--methods",
        "ce,ce_clip",
        "--rates",
        "0.6",
        "--seeds",
        "0",
        "--no-progress",
        "--jobs",
        "1",
        "--out",
        str(out),
        "--data-dir",
        str(shared_data),
        "epochs=1",
        "train_limit=600",
        "train_eval_images=300",
    ]
    assert main(menon_mnist.EXPERIMENT, argv) == 0
    printed = capsys.readouterr().out
    assert "| CE + clipping" in printed and "noise.rate = 0.6" in printed
    table = pd.read_csv(out / "table.csv")
    assert list(table.columns[:5]) == ["method", "noise_rate", "mean", "std", "n"]
    assert list(table["method"]) == ["ce", "ce_clip"]
    assert list(table["paper"]) == [91.1, 88.0] and list(table["reproduction"]) == [98.0, 94.7]
    assert (out / "accuracy_vs_noise.png").stat().st_size > 10_000
    assert (
        "Command: `python -m experiments.menon_mnist --methods ce,ce_clip"
        in (out / "table.md").read_text()
    )
    assert main(menon_mnist.EXPERIMENT, [*argv, "--report-only"]) == 0  # no training
