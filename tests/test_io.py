"""The one JSON conversion (``to_json_safe``) and the atomic writers built on it."""

import json
import math

import numpy as np
import pytest

from kerasnoise._io import atomic_write_json, atomic_write_text, to_json_safe

# JSON and files only: never a Keras backend (tox runs these once)
pytestmark = pytest.mark.backend_free


def _refuse(constant):
    raise ValueError(f"non-standard JSON constant {constant}")


def strict_loads(text: str):
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``."""
    return json.loads(text, parse_constant=_refuse)


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), np.nan, np.inf, -np.inf, np.float32("nan")],
    ids=repr,
)
def test_nan_and_infinities_become_none(value):
    assert to_json_safe(value) is None


def test_numpy_scalars_become_python():
    got = to_json_safe([np.float32(0.5), np.float64(0.25), np.int64(7), np.int8(-3)])
    assert got == [0.5, 0.25, 7, -3]
    assert [type(v) for v in got] == [float, float, int, int]
    assert to_json_safe(np.bool_(True)) is True and to_json_safe(np.bool_(False)) is False
    assert type(to_json_safe(np.str_("a"))) is str


def test_arrays_become_nested_lists():
    assert to_json_safe(np.array([[1, 2], [3, 4]], dtype=np.int64)) == [[1, 2], [3, 4]]
    assert to_json_safe(np.array([0.5, np.nan, np.inf], dtype=np.float32)) == [0.5, None, None]
    assert to_json_safe(np.array([True, False])) == [True, False]
    assert to_json_safe(np.float64(3.0) * np.ones(0)) == []


def test_nested_containers():
    obj = {
        "a": (1, 2.5, float("nan")),
        "b": [{"c": np.float32(1.5)}, (np.int64(2),)],
        "d": {"e": {"f": -np.inf}},
    }
    assert to_json_safe(obj) == {
        "a": [1, 2.5, None],
        "b": [{"c": 1.5}, [2]],
        "d": {"e": {"f": None}},
    }


def test_plain_values_and_keys_are_unchanged():
    obj = {"s": "text", "i": 3, "t": True, "n": None, "f": 0.1, 2: "int key"}
    assert to_json_safe(obj) == obj
    # keys are left to JSON's own rules; NumPy scalar keys become Python ones
    assert list(to_json_safe({np.int64(4): 1, 1.5: 2})) == [4, 1.5]
    assert type(next(iter(to_json_safe({np.int64(4): 1})))) is int


def test_input_is_not_modified():
    obj = {"x": [float("nan")], "y": (1,)}
    to_json_safe(obj)
    assert math.isnan(obj["x"][0]) and obj["y"] == (1,)


def test_unserialisable_objects_pass_through_for_json_to_refuse():
    thing = object()
    assert to_json_safe({"o": thing})["o"] is thing
    with pytest.raises(TypeError):
        json.dumps(to_json_safe({"o": thing}))


def test_atomic_write_json_writes_strict_json(tmp_path):
    path = tmp_path / "sub" / "record.json"
    obj = {
        "loss": float("nan"),
        "best": np.inf,
        "worst": -np.inf,
        "acc": np.float32(0.75),
        "epochs": np.int64(3),
        "per_class": np.array([0.5, np.nan]),
        "shape": (2, 3),
    }
    assert atomic_write_json(path, obj) == path
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert '"loss": null' in text
    assert strict_loads(text) == {
        "loss": None,
        "best": None,
        "worst": None,
        "acc": 0.75,
        "epochs": 3,
        "per_class": [0.5, None],
        "shape": [2, 3],
    }
    with pytest.raises(ValueError, match="NaN"):  # the checker itself refuses NaN
        strict_loads('{"loss": NaN}')
    assert not list(path.parent.glob(".*tmp"))  # no temporary file left behind


def test_atomic_write_json_format_of_a_config_is_unchanged(tmp_path):
    """Run directories written before the strict writer have the same bytes."""
    config = {
        "preset": "menon-mnist-lenet",
        "loss": {"name": "phuber_ce", "tau": 10.0},
        "noise": {"name": "symmetric_exclusive", "rate": 0.2, "mapping": {2: 7}},
        "optimizer": {"name": "adam", "learning_rate": 0.001, "global_clipnorm": None},
        "epochs": 50,
        "augment": False,
        "shape": (28, 28, 1),
        "text": "ρ = 0.6",
    }
    path = atomic_write_json(tmp_path / "config.json", config)
    assert path.read_text() == json.dumps(config, indent=1) + "\n"


def test_atomic_write_json_refuses_unserialisable_before_writing(tmp_path):
    path = tmp_path / "old.json"
    atomic_write_text(path, "{}\n")
    with pytest.raises(TypeError):
        atomic_write_json(path, {"o": object()})
    assert path.read_text() == "{}\n"  # the old file is kept
    assert not list(tmp_path.glob(".*tmp"))
