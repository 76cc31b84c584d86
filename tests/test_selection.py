"""Co-teaching and Co-teaching+ per batch, against a NumPy transcription of the
authors' rule on every backend; the forget-rate schedule against their code's numbers."""

import keras
import numpy as np
import pytest

from kerasnoise.methods import selection
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


def numpy_coteaching_plus_code(l1, l2, y, forget, step_under_fallback=True):
    """A line-by-line NumPy transcription of the Co-teaching+ code's
    ``loss_coteaching_plus`` (``coteaching_plus/loss.py``), on ``softmax(logits)`` as its
    ``F.cross_entropy`` gets them: the disagreements' ``loss_coteaching`` (mean over the
    kept, divided again by their number; all kept when ``int`` gives 0), or the whole
    batch's mean when nothing disagrees (weighed by ``step < 5000``)."""

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def ce(outputs, labels):  # F.cross_entropy(outputs, labels, reduction='none')
        return -np.log(softmax(outputs))[np.arange(len(labels)), labels]

    out1, out2 = softmax(l1.astype(np.float64)), softmax(l2.astype(np.float64))
    disagree_id = np.flatnonzero(l1.argmax(1) != l2.argmax(1))
    if len(disagree_id) > 0:
        o1, o2, t = out1[disagree_id], out2[disagree_id], y[disagree_id]
        loss_1, loss_2 = ce(o1, t), ce(o2, t)
        ind_1_sorted = np.argsort(loss_1, kind="stable")
        ind_2_sorted = np.argsort(loss_2, kind="stable")
        num_remember = int(round((1 - forget) * len(loss_1), 9))
        ind_1_update, ind_2_update = ind_1_sorted[:num_remember], ind_2_sorted[:num_remember]
        if len(ind_1_update) == 0:
            ind_1_update, ind_2_update = ind_1_sorted, ind_2_sorted
            num_remember = ind_1_update.shape[0]
        loss_1_update = ce(o1[ind_2_update], t[ind_2_update]).mean()
        loss_2_update = ce(o2[ind_1_update], t[ind_1_update]).mean()
        return np.sum(loss_1_update) / num_remember, np.sum(loss_2_update) / num_remember
    update_step = np.full(len(y), float(step_under_fallback))
    b = len(y)
    return (
        np.sum(update_step * ce(out1, y).mean()) / b,
        np.sum(update_step * ce(out2, y).mean()) / b,
    )


def _disagreeing(seed, count, size=40, classes=10):
    """A batch whose two networks disagree on exactly ``count`` examples."""
    l1, _, y, clean = batch(seed, size, classes)
    l2 = l1 * 2.0
    for i in range(count):  # move network 2's top class elsewhere
        top = l2[i].argmax()
        l2[i, (top + 1) % classes] = l2[i, top] + 1.0
    assert (l1.argmax(1) != l2.argmax(1)).sum() == count
    return l1, l2, y, clean


@pytest.mark.parametrize(
    ("count", "forget"),
    [(40, 0.5), (40, 0.2), (17, 0.5), (3, 0.5), (1, 0.5), (1, 0.2), (2, 0.9)],
    ids=["all-0.5", "all-0.2", "17-0.5", "3-0.5", "1-0.5", "1-0.2", "2-0.9"],
)
def test_the_authors_code_mode_equals_their_loss_coteaching_plus(count, forget):
    """``authors_code``: the weighting 1/k^2 and the empty-pick rule of their code, on the
    double softmax, against its transcription; 1 disagreement at forget 0.5 keeps
    int(0.5) = 0 there, so their code trains on it (and so does this mode)."""
    l1, l2, y, _ = _disagreeing(count, count)
    probs = [keras.ops.softmax(keras.ops.convert_to_tensor(v), axis=-1) for v in (l1, l2)]
    got = selection.coteaching_losses(*probs, y, forget, plus=True, authors_code=True)
    want = numpy_coteaching_plus_code(l1, l2, y, forget)
    for key, value in zip(("loss_1", "loss_2"), want, strict=True):
        assert float(keras.ops.convert_to_numpy(got[key])) == pytest.approx(value, rel=1e-5), key
    plain = selection.coteaching_losses(*probs, y, forget, plus=True)
    kept = int(keras.ops.convert_to_numpy(plain["picked_1"]).sum())
    if kept == 0:  # the default mode trains on none of them
        assert float(keras.ops.convert_to_numpy(plain["loss_1"])) == 0.0
        assert want[0] > 0
    else:  # the default mode weighs 1/k: k times the authors' loss
        value = float(keras.ops.convert_to_numpy(plain["loss_1"]))
        assert value == pytest.approx(want[0] * kept, rel=1e-5)


@pytest.mark.parametrize("fallback", [True, False])
def test_the_authors_code_mode_weighs_a_fallback_batch_by_its_mean(fallback):
    l1, _, y, _ = batch(6)
    l2 = l1 * 3
    probs = [keras.ops.softmax(keras.ops.convert_to_tensor(v), axis=-1) for v in (l1, l2)]
    got = selection.coteaching_losses(
        *probs, y, 0.5, plus=True, fallback=fallback, authors_code=True
    )
    want = numpy_coteaching_plus_code(l1, l2, y, 0.5, step_under_fallback=fallback)
    for key, value in zip(("loss_1", "loss_2"), want, strict=True):
        got_value = float(keras.ops.convert_to_numpy(got[key]))
        assert got_value == pytest.approx(value, rel=1e-5, abs=1e-7), key


@pytest.mark.backend_free
@pytest.mark.parametrize(
    ("rule", "noise", "want"),
    [
        (None, {"name": "asymmetric", "rate": 0.4}, 0.4),
        ("nominal", {"name": "asymmetric", "rate": 0.4}, 0.4),
        ("asymmetric_half", {"name": "asymmetric", "rate": 0.4}, 0.2),
        ("asymmetric_half", {"name": "symmetric_exclusive", "rate": 0.5}, 0.5),
        ("asymmetric_half", {"name": "pair_flip", "rate": 0.45}, 0.45),
        (0.3, {"name": "asymmetric", "rate": 0.4}, 0.3),
    ],
)
def test_forget_rate_rules(rule, noise, want):
    """JoCoR's code: ``forget_rate = noise_rate / 2`` for its asymmetric noise, the
    nominal rate otherwise (``algorithm/jocor.py``)."""
    got = selection.resolved({"name": "coteaching", "forget_rate": rule}, noise)
    assert got["forget_rate"] == pytest.approx(want)


@pytest.mark.backend_free
def test_the_realised_rule_takes_the_drawn_share_of_wrong_labels():
    chosen = {"name": "coteaching_plus", "forget_rate": "realised"}
    noise = {"name": "asymmetric", "rate": 0.4}
    assert selection.resolved(chosen, noise)["forget_rate"] == "realised"  # not drawn yet
    assert selection.resolved(chosen, noise, realised_rate=0.1975)["forget_rate"] == 0.1975
    with pytest.raises(
        ValueError,
        match=r"method.forget_rate must be a number in \[0, 1\) "
        r"or one of nominal, asymmetric_half, realised; got 'half'",
    ):
        selection.resolved({"name": "coteaching", "forget_rate": "half"}, noise)


@pytest.mark.backend_free
def test_a_rule_that_gives_the_nominal_rate_is_the_same_run():
    """The preset's ``asymmetric_half`` keeps the ids of the runs made before it wherever
    it forgets the nominal rate, and names new runs where it halves it."""
    from kerasnoise.config import ExperimentConfig

    def run_id(noise, **selection_params):
        config = ExperimentConfig(noise=noise, method={"name": "coteaching", **selection_params})
        return config.run_id("jax")

    symmetric = {"name": "symmetric_exclusive", "rate": 0.5}
    flips = {"name": "asymmetric", "rate": 0.4, "mapping": "mnist"}
    assert run_id(symmetric, forget_rate="asymmetric_half") == run_id(symmetric)
    assert run_id(symmetric, forget_rate="nominal") == run_id(symmetric)
    assert run_id(flips, forget_rate="nominal") == run_id(flips)
    assert run_id(flips, forget_rate="asymmetric_half") != run_id(flips)


@pytest.mark.backend_free
def test_authors_code_means_the_double_softmax():
    noise = {"name": "symmetric_exclusive", "rate": 0.5}
    got = selection.resolved({"name": "coteaching_plus", "authors_code": True}, noise)
    assert got["softmax_twice"] is True
    with pytest.raises(ValueError, match="authors_code=True .* softmax twice"):
        selection.resolved(
            {"name": "coteaching_plus", "authors_code": True, "softmax_twice": False}, noise
        )
    with pytest.raises(ValueError, match="unknown parameter method.authors_code"):
        selection.resolved({"name": "coteaching", "authors_code": True}, noise)


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
        ({"forget_rate": 1.0}, r"method.forget_rate must be a number in \[0, 1\)"),
        ({"forget_rate": -0.1}, r"method.forget_rate must be a number in \[0, 1\)"),
        ({"forget_rate": True}, r"method.forget_rate must be a number in \[0, 1\)"),
        ({"num_gradual": 0}, "method.num_gradual must be an integer >= 1"),
        ({"exponent": 0}, "method.exponent must be a number > 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
    ],
)
def test_bad_schedules_are_refused(kwargs, message):
    args = {"epochs": 10, "forget_rate": 0.2} | kwargs
    with pytest.raises(ValueError, match=message):
        selection.forget_rate_schedule(**args)
