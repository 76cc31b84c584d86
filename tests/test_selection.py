"""Co-teaching and Co-teaching+ per batch, against a NumPy transcription of the
authors' rule on every backend; the forget-rate schedule against their code's numbers."""

import keras
import numpy as np
import pytest

from kerasnoise import selection
from tests._autodiff import value_and_grad


def numpy_coteaching(l1, l2, y, forget, plus, clean):
    """The authors' loss_coteaching(_plus), from logits, in float64."""

    def ce(logits):
        z = logits - logits.max(axis=1, keepdims=True)
        return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]

    ce1, ce2 = ce(l1.astype(np.float64)), ce(l2.astype(np.float64))
    if plus:
        candidates = np.flatnonzero(l1.argmax(1) != l2.argmax(1))
    else:
        candidates = np.arange(len(y))
    num = int(round((1 - forget) * len(candidates), 9))  # exact: (1 - 0.9) * 40 is 4
    pick1 = candidates[np.argsort(ce1[candidates], kind="stable")[:num]]
    pick2 = candidates[np.argsort(ce2[candidates], kind="stable")[:num]]
    return {
        "loss_1": ce1[pick2].mean() if num else 0.0,
        "loss_2": ce2[pick1].mean() if num else 0.0,
        "picked_1": np.isin(np.arange(len(y)), pick1),
        "picked_2": np.isin(np.arange(len(y)), pick2),
        "precision_1": clean[pick1].mean() if num else 0.0,
        "precision_2": clean[pick2].mean() if num else 0.0,
    }


def batch(seed, size=40, classes=10):
    rng = np.random.default_rng(seed)
    l1 = rng.normal(scale=2.0, size=(size, classes)).astype("float32")
    l2 = rng.normal(scale=2.0, size=(size, classes)).astype("float32")
    y = rng.integers(0, classes, size)
    clean = rng.random(size) < 0.6
    return l1, l2, y, clean


@pytest.mark.parametrize("plus", [False, True], ids=["coteaching", "coteaching_plus"])
@pytest.mark.parametrize("forget", [0.0, 0.2, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_one_batch_equals_the_authors_rule(plus, forget, seed):
    l1, l2, y, clean = batch(seed)
    got = selection.coteaching_losses(l1, l2, y, forget, plus=plus, clean=clean)
    want = numpy_coteaching(l1, l2, y, forget, plus, clean)
    for key in ("picked_1", "picked_2"):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(got[key]), want[key], key)
    for key in ("loss_1", "loss_2", "precision_1", "precision_2"):
        value = float(keras.ops.convert_to_numpy(got[key]))
        assert value == pytest.approx(want[key], rel=1e-5, abs=1e-6), key
    if not plus:  # e.g. 0.3 of 40: 28 kept (float32 alone would keep 27)
        assert keras.ops.convert_to_numpy(got["picked_1"]).sum() == round((1 - forget) * 40)


def test_forget_rate_zero_trains_each_network_on_every_example():
    l1, l2, y, _ = batch(2)
    got = selection.coteaching_losses(l1, l2, y, 0.0)
    for logits, key in ((l1, "loss_1"), (l2, "loss_2")):
        plain = keras.ops.sparse_categorical_crossentropy(y, logits, from_logits=True)
        np.testing.assert_allclose(
            float(keras.ops.convert_to_numpy(got[key])),
            float(np.mean(keras.ops.convert_to_numpy(plain))),
            rtol=1e-6,
        )


def test_gradient_reaches_only_the_examples_the_other_network_picked():
    l1, l2, y, _ = batch(3)
    keep_2 = numpy_coteaching(l1, l2, y, 0.5, False, np.ones(len(y), bool))["picked_2"]

    def loss_1(logits):
        return selection.coteaching_losses(logits, l2, y, 0.5)["loss_1"]

    _, grad = value_and_grad(loss_1, l1)
    touched = np.abs(grad).sum(axis=1) > 0
    np.testing.assert_array_equal(touched, keep_2)


def test_agreeing_networks_give_coteaching_plus_nothing_to_learn():
    l1, _, y, clean = batch(4)
    got = selection.coteaching_losses(l1, l1 * 2, y, 0.2, plus=True, clean=clean)
    assert float(keras.ops.convert_to_numpy(got["loss_1"])) == 0.0
    assert not keras.ops.convert_to_numpy(got["picked_1"]).any()
    assert float(keras.ops.convert_to_numpy(got["precision_1"])) == 0.0


@pytest.mark.parametrize("fallback", [True, False, 1.0, 0.0])
def test_in_the_fallback_steps_agreeing_networks_train_on_every_example(fallback):
    """The authors' code: a batch without disagreement trains on all its examples (mean
    cross-entropy, nothing forgotten) during its first 5,000 steps, on none after."""
    l1, _, y, clean = batch(5)
    l2 = l1 * 3  # the same predicted classes everywhere
    got = selection.coteaching_losses(l1, l2, y, 0.5, plus=True, clean=clean, fallback=fallback)
    everything = numpy_coteaching(l1, l2, y, 0.0, False, clean)
    on = bool(fallback)
    for key in ("loss_1", "loss_2", "precision_1"):
        want = everything[key] if on else 0.0
        value = float(keras.ops.convert_to_numpy(got[key]))
        assert value == pytest.approx(want, rel=1e-5, abs=1e-7), key
    assert keras.ops.convert_to_numpy(got["picked_2"]).all() == on
    # with a disagreement in the batch the fallback changes nothing
    l3 = l2.copy()
    l3[0] = -l3[0]
    assert l1[0].argmax() != l3[0].argmax()
    with_it = selection.coteaching_losses(l1, l3, y, 0.5, plus=True, fallback=fallback)
    without = numpy_coteaching(l1, l3, y, 0.5, True, clean)
    assert float(keras.ops.convert_to_numpy(with_it["loss_1"])) == pytest.approx(
        without["loss_1"], rel=1e-5
    )


@pytest.mark.backend_free
def test_the_schedule_runs_as_the_authors_code():
    """Their R = [tau] * n; R[:T_k] = linspace(0, tau ** c, T_k); epochs 1..n-1 train."""
    got = selection.forget_rate_schedule(200, 0.5, num_gradual=10, exponent=1)
    assert got.shape == (200,)
    np.testing.assert_allclose(got[:9], 0.5 * np.arange(1, 10) / 9)
    assert (got[8:] == 0.5).all()
    squared = selection.forget_rate_schedule(12, 0.5, num_gradual=10, exponent=2)
    np.testing.assert_allclose(squared[:9], 0.25 * np.arange(1, 10) / 9)
    assert list(squared[9:]) == [0.5, 0.5, 0.5]  # the ramp ends at tau^c, then tau
    assert list(selection.forget_rate_schedule(3, 0.2, num_gradual=1)) == [0.2, 0.2, 0.2]
    short = selection.forget_rate_schedule(2, 0.45, num_gradual=10)
    np.testing.assert_allclose(short, [0.05, 0.1])


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"forget_rate": 1.0}, r"selection.forget_rate must be a number in \[0, 1\)"),
        ({"forget_rate": -0.1}, r"selection.forget_rate must be a number in \[0, 1\)"),
        ({"forget_rate": True}, r"selection.forget_rate must be a number in \[0, 1\)"),
        ({"num_gradual": 0}, "selection.num_gradual must be an integer >= 1"),
        ({"exponent": 0}, "selection.exponent must be a number > 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
    ],
)
def test_bad_schedules_are_refused(kwargs, message):
    args = {"epochs": 10, "forget_rate": 0.2} | kwargs
    with pytest.raises(ValueError, match=message):
        selection.forget_rate_schedule(**args)
