"""Values of the robust losses against independent float64 references, and their limits.

``fixtures/loss_values.json`` holds float32 inputs (random logits, extreme logits, probability
inputs with exact zeros) and the per-example values of every loss and parameter setting,
computed in float64 by ``fixtures/make_loss_values.py`` straight from the formulas (not from
``kerasnoise.losses``).  The same fixture is read under every Keras backend: tox runs this file
with KERAS_BACKEND=tensorflow, jax and torch, so its passing on all three is what shows that the
three backends give the same values (to the float32 tolerance below).

Tolerance of a per-example value (``_tolerance``): ``RTOL * |expected| + ATOL_UNIT * scale``
(+ ``clip_slack``), with

- ``RTOL = 1e-6`` (about 8 float32 ulps);
- ``ATOL_UNIT * scale``: float32 cannot resolve a result to better than a few ulps of the terms
  it is computed from, however small the result (``1 - p_y`` when p_y is close to 1, the
  log-sum-exp ``log(1 + small)`` of a confident row, ``(1 - p_y^q) / q``).  ``scale`` is the
  size of those terms, stored per example by the fixture script (1 for CE and the linear loss,
  1/q for GCE, |A| for RCE, ...), and ``ATOL_UNIT = 4 eps32`` ~ 4.8e-7 covers the rounding of
  a K-term float32 sum and one or two transcendental functions.  It only matters where the
  expected value is below ~0.5 * scale; e.g. a CE of 0 (p_y = 1) must come out below 4.8e-7.
- ``clip_slack``: only for probability inputs with entries clipped to [eps, 1 - eps], where
  the two forms the loss table gives for MAE / RCE differ by |coefficient| * the clipping
  displacement (see the fixture script).
"""

import json

import keras
import numpy as np
import pytest
from keras import ops
from scipy.special import log_softmax

from kerasnoise import losses
from tests.helpers import FIXTURES

DATA = json.loads((FIXTURES / "loss_values.json").read_text())
K = DATA["num_classes"]
CASES = DATA["cases"]
INPUTS = {
    name: (
        np.asarray(v["y_true"], dtype=np.int32),
        np.asarray(v["y_pred"], dtype=np.float32),
        v["from_logits"],
    )
    for name, v in DATA["inputs"].items()
}
TRANSITIONS = {name: np.asarray(m, dtype=np.float32) for name, m in DATA["transitions"].items()}

RTOL = 1e-6
EPS32 = float(np.finfo(np.float32).eps)  # 2**-23 ~ 1.19e-7
U32 = EPS32 / 2  # unit roundoff
ATOL_UNIT = 4 * EPS32


def _ids(case):
    return case["id"]


def _params(case):
    params = dict(case["params"])
    if "transition" in params:
        params["transition"] = TRANSITIONS[params["transition"]]
    return params


def _tolerance(case):
    expected = np.asarray(case["expected"])
    return (
        RTOL * np.abs(expected)
        + ATOL_UNIT * np.asarray(case["scale"])
        + np.asarray(case["clip_slack"])
    )


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


def _assert_matches(got, case, what):
    expected = np.asarray(case["expected"])
    tol = _tolerance(case)
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    bad = np.flatnonzero(~np.isfinite(got))
    assert bad.size == 0, f"{what}: non-finite values at rows {bad.tolist()}: {got[bad]}"
    err = np.abs(got - expected)
    bad = np.flatnonzero(err > tol)
    lines = [
        f"row {i}: expected {expected[i]!r}, got {got[i]!r}, |err| {err[i]:.3g} > {tol[i]:.3g}"
        for i in bad[:8]
    ]
    assert bad.size == 0, f"{what}: {bad.size} rows off\n" + "\n".join(lines)


def _call_function(case, y_true=None):
    y, x, from_logits = INPUTS[case["inputs"]]
    y = y if y_true is None else y_true
    fn = getattr(losses, case["function"])
    kwargs = _params(case)
    if not from_logits:  # from_logits=True is left to the default
        kwargs["from_logits"] = False
    return _np(fn(ops.convert_to_tensor(y), ops.convert_to_tensor(x), **kwargs))


# --------------------------------------------------------------------------- fixture values


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_function_matches_reference(case):
    _assert_matches(_call_function(case), case, case["function"])


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_one_hot_and_column_labels(case):
    y, _, _ = INPUTS[case["inputs"]]
    _assert_matches(_call_function(case, np.eye(K, dtype=np.float32)[y]), case, "one-hot labels")
    _assert_matches(_call_function(case, y[:, None]), case, "labels of shape (B, 1)")


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_class_reductions(case):
    y, x, from_logits = INPUTS[case["inputs"]]
    cls = getattr(losses, case["class"])
    params = _params(case)
    expected = np.asarray(case["expected"])
    tol = _tolerance(case)
    n = len(expected)
    y_t, x_t = ops.convert_to_tensor(y), ops.convert_to_tensor(x)

    per_example = cls(**params, from_logits=from_logits, reduction="none")
    _assert_matches(_np(per_example(y_t, x_t)), case, f"{case['class']}(reduction='none')")

    # A float32 sum of n terms: worst-case rounding (n - 1) u * sum |x_i| on top of the
    # per-example tolerances.
    sum_tol = tol.sum() + (n - 1) * U32 * np.abs(expected).sum()
    total = _np(cls(**params, from_logits=from_logits, reduction="sum")(y_t, x_t))
    assert total.shape == ()
    assert abs(total - expected.sum()) <= sum_tol, (float(total), expected.sum(), sum_tol)

    default = cls(**params, from_logits=from_logits)
    assert default.reduction == "sum_over_batch_size"
    mean = _np(default(y_t, x_t))
    assert mean.shape == ()
    assert abs(mean - expected.mean()) <= sum_tol / n, (float(mean), expected.mean())


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_get_instance_matches_reference(case):
    y, x, from_logits = INPUTS[case["inputs"]]
    loss = losses.get(case["loss"], **_params(case), from_logits=from_logits)
    assert isinstance(loss, getattr(losses, case["class"]))
    expected = np.asarray(case["expected"])
    n = len(expected)
    tol = _tolerance(case).sum() / n + (n - 1) * U32 * np.abs(expected).mean()
    got = _np(loss(ops.convert_to_tensor(y), ops.convert_to_tensor(x)))
    assert abs(got - expected.mean()) <= tol, (float(got), expected.mean(), tol)


# --------------------------------------------------------------------------- limits
# Hand-derived relations between the losses, on inputs built here (not from the fixture).


def _moderate(n=128, scale=2.0, seed=7):
    rng = np.random.default_rng(seed)
    z = (scale * rng.standard_normal((n, K))).astype(np.float32)
    return rng.integers(0, K, size=n).astype(np.int32), z


def _with_extremes():
    """Moderate rows plus extreme ones (p_y = 1, p_y = 0 in float32, all-equal, +-1e4)."""
    y, z = _moderate()
    rows = np.zeros((6, K), dtype=np.float32)
    rows[0, :2] = 1e4, -1e4
    rows[1, :2] = 1e4, -1e4
    rows[2] = 1e4
    rows[3, 4] = -1e4
    rows[4] = np.where(np.arange(K) % 2, 30.0, -30.0)
    rows[5, 0], rows[5, 3] = 100.0, -100.0
    labels = np.array([0, 1, 5, 4, 2, 3], dtype=np.int32)
    return np.concatenate([y, labels]), np.concatenate([z, rows])


def _p_y(y, z):
    return np.exp(log_softmax(z.astype(np.float64), axis=-1)[np.arange(len(y)), y])


def _fn(name, y, z, **kwargs):
    out = getattr(losses, name)(ops.convert_to_tensor(y), ops.convert_to_tensor(z), **kwargs)
    return _np(out)


def test_phuber_ce_large_tau_is_ce():
    # For p_y > 1/tau PHuber-CE is -log p_y itself; with tau = 1e6 that is every row here.
    y, z = _moderate()
    mask = _p_y(y, z) > 1e-6
    assert mask.sum() > 100
    ph = _fn("phuber_cross_entropy", y, z, tau=1e6)
    ce = _fn("cross_entropy", y, z)
    np.testing.assert_allclose(ph[mask], ce[mask], rtol=RTOL, atol=ATOL_UNIT)


def test_phuber_ce_tau_to_one_is_linear():
    # p_y <= 1/tau: PH - (1 - p_y) = log(tau) - (tau - 1) p_y, within [-(tau-1), tau-1];
    # p_y > 1/tau: -log p_y - (1 - p_y) in [0, (1 - p_y)^2] <= (tau - 1)^2.  Plus float32
    # rounding of terms of size ~2 (tau p_y and 1 + log tau).
    tau = 1.0 + 1e-6
    y, z = _with_extremes()
    ph = _fn("phuber_cross_entropy", y, z, tau=tau)
    lin = _fn("linear_loss", y, z)
    np.testing.assert_allclose(ph, lin, rtol=0, atol=(tau - 1.0) + 2 * ATOL_UNIT)


def test_gce_small_q_is_ce():
    # (1 - exp(-qL)) / q = L - q L^2 / 2 + ..., an alternating series: 0 <= L - GCE <= q L^2/2.
    # In float32, 1 - p_y^q ~ q L is the difference of numbers near 1: an absolute error of a
    # few eps32, divided by q.
    q = 1e-4
    y, z = _moderate()
    ce = -np.log(_p_y(y, z))
    gce = _fn("generalized_cross_entropy", y, z, q=q)
    tol = q * ce**2 / 2 + ATOL_UNIT / q + RTOL * ce
    assert np.all(np.abs(gce - ce) <= tol), np.max(np.abs(gce - ce) - tol)


def test_gce_q_one_is_linear():
    y, z = _with_extremes()
    gce = _fn("generalized_cross_entropy", y, z, q=1.0)
    np.testing.assert_allclose(gce, _fn("linear_loss", y, z), rtol=RTOL, atol=ATOL_UNIT)


def test_sce_without_reverse_term_is_scaled_ce():
    y, z = _with_extremes()
    sce = _fn("symmetric_cross_entropy", y, z, alpha=0.3, beta=0.0)
    ce = _fn("cross_entropy", y, z)
    np.testing.assert_allclose(sce, 0.3 * ce, rtol=RTOL, atol=0.3 * ATOL_UNIT)


@pytest.mark.parametrize("value", [0.0, 1.0, -3.7, 88.0, 1e3, 1e4, -1e4])
def test_nce_all_equal_logits_is_one_over_k(value):
    z = np.full((K, K), value, dtype=np.float32)
    y = np.arange(K, dtype=np.int32)
    np.testing.assert_allclose(_fn("normalized_cross_entropy", y, z), 1.0 / K, rtol=RTOL)


def test_nce_uniform_probabilities_is_one_over_k():
    p = np.full((3, K), 0.1, dtype=np.float32)
    p[1] *= 3.0  # renormalised first
    y = np.array([0, 4, 9], dtype=np.int32)
    nce = _fn("normalized_cross_entropy", y, p, from_logits=False)
    np.testing.assert_allclose(nce, 1.0 / K, rtol=RTOL)


def test_mae_is_twice_linear():
    y, z = _with_extremes()
    mae = _fn("mean_absolute_error", y, z)
    np.testing.assert_allclose(mae, 2 * _fn("linear_loss", y, z), rtol=RTOL, atol=2 * ATOL_UNIT)


@pytest.mark.parametrize("a", [-4.0, -2.5])
def test_rce_is_minus_a_times_linear(a):
    y, z = _with_extremes()
    rce = _fn("reverse_cross_entropy", y, z, A=a)
    lin = _fn("linear_loss", y, z)
    np.testing.assert_allclose(rce, -a * lin, rtol=RTOL, atol=abs(a) * ATOL_UNIT)


def test_nce_rce_without_reverse_term_is_scaled_nce():
    y, z = _with_extremes()
    both = _fn("nce_and_rce", y, z, alpha=3.0, beta=0.0)
    nce = _fn("normalized_cross_entropy", y, z)
    np.testing.assert_allclose(both, 3.0 * nce, rtol=RTOL, atol=3.0 * ATOL_UNIT)


@pytest.mark.parametrize("name", ["bootstrap_soft", "bootstrap_hard"])
def test_bootstrap_beta_one_is_ce(name):
    y, z = _with_extremes()
    boot = _fn(name, y, z, beta=1.0)
    np.testing.assert_allclose(boot, _fn("cross_entropy", y, z), rtol=RTOL, atol=ATOL_UNIT)


def test_forward_identity_is_ce():
    # Small p_y (and the extreme rows) are covered by the fixture; here only the identity.
    y, z = _moderate()
    mask = _p_y(y, z) > 1e-6
    eye = np.eye(K, dtype=np.float32)
    fwd = _fn("forward_correction", y, z, transition=eye)
    ce = _fn("cross_entropy", y, z)
    np.testing.assert_allclose(fwd[mask], ce[mask], rtol=RTOL, atol=2 * ATOL_UNIT)


# --------------------------------------------------------------------------- get()

_T = np.full((K, K), 0.02, dtype=np.float32) + 0.8 * np.eye(K, dtype=np.float32)
GET_CASES = [
    ("cross_entropy", "CrossEntropy", {}),
    ("ce", "CrossEntropy", {}),
    ("gce", "GeneralizedCrossEntropy", {"q": 0.3}),
    ("linear", "LinearLoss", {}),
    ("unhinged", "LinearLoss", {}),
    ("phuber_ce", "PHuberCrossEntropy", {"tau": 4.0}),
    ("phuber_gce", "PHuberGeneralizedCrossEntropy", {"tau": 4.0, "q": 0.5}),
    ("sce", "SymmetricCrossEntropy", {"alpha": 0.2, "beta": 0.7, "A": -3.0}),
    ("rce", "ReverseCrossEntropy", {"A": -3.0}),
    ("nce", "NormalizedCrossEntropy", {}),
    ("nce_rce", "NCEAndRCE", {"alpha": 10.0, "beta": 0.1, "A": -5.0}),
    ("mae", "MeanAbsoluteError", {}),
    ("bootstrap_soft", "BootstrapSoft", {"beta": 0.9}),
    ("bootstrap_hard", "BootstrapHard", {"beta": 0.7}),
    ("forward", "ForwardCorrection", {"transition": _T}),
]
DEFAULTS = {
    "gce": {"q": 0.7},
    "phuber_ce": {"tau": 10.0},
    "phuber_gce": {"tau": 10.0, "q": 0.7},
    "sce": {"alpha": 0.1, "beta": 1.0, "A": -4.0},
    "rce": {"A": -4.0},
    "nce_rce": {"alpha": 1.0, "beta": 1.0, "A": -4.0},
    "bootstrap_soft": {"beta": 0.95},
    "bootstrap_hard": {"beta": 0.8},
}


def _check_config(loss, params):
    config = loss.get_config()
    for key, value in params.items():
        assert key in config, f"{key!r} missing from {sorted(config)}"
        np.testing.assert_allclose(
            np.asarray(config[key], dtype=np.float64), np.asarray(value, dtype=np.float64)
        )


@pytest.mark.parametrize(("name", "cls", "params"), GET_CASES, ids=[c[0] for c in GET_CASES])
def test_get_returns_configured_class(name, cls, params):
    loss = losses.get(name, **params)
    assert type(loss) is getattr(losses, cls)
    assert isinstance(loss, keras.losses.Loss)
    _check_config(loss, params)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_get_defaults(name):
    _check_config(losses.get(name), DEFAULTS[name])


def test_get_unknown_name_lists_names():
    with pytest.raises(ValueError) as info:
        losses.get("no_such_loss")
    message = str(info.value)
    for name in ("gce", "phuber_ce", "nce_rce", "bootstrap_hard", "forward"):
        assert name in message, message


def test_fixture_is_sane():
    """The fixture covers every loss and the float32 extremes it is meant to."""
    assert {c["function"] for c in CASES} == {
        "cross_entropy",
        "generalized_cross_entropy",
        "linear_loss",
        "phuber_cross_entropy",
        "phuber_generalized_cross_entropy",
        "symmetric_cross_entropy",
        "reverse_cross_entropy",
        "normalized_cross_entropy",
        "nce_and_rce",
        "mean_absolute_error",
        "bootstrap_soft",
        "bootstrap_hard",
        "forward_correction",
    }
    y, z, _ = INPUTS["extreme"]
    p_y32 = np.exp(log_softmax(z, axis=-1).astype(np.float32))[np.arange(len(y)), y]
    assert (p_y32 == 0).sum() >= 4 and (p_y32 == 1).sum() >= 2
    assert (np.abs(z) >= 1e4).any() and (np.abs(z) == 1e3).any()
