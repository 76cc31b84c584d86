"""Noise models: realised rates, exactness, where labels may go, determinism, bad input.

Statistical checks use N large enough that a 6-sigma band is tight; the bands
are computed from the binomial standard deviation, not tuned to the output.
"""

import json
import math

import numpy as np
import pytest

from kerasnoise import noise
from tests.helpers import FIXTURES, NOISE_DIGEST_MODELS, noise_digests

# The noise models are NumPy: never a Keras backend (tox runs these once)
pytestmark = pytest.mark.backend_free

K = 10
N = 200_000


def sigma_band(p: float, n: int, z: float = 6.0) -> float:
    return z * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.fixture(scope="module")
def labels():
    # Unequal class sizes on purpose: class c has weight c + 1.
    rng = np.random.default_rng(12345)
    return rng.choice(K, size=N, p=np.arange(1, K + 1) / np.arange(1, K + 1).sum())


@pytest.fixture(scope="module")
def mnist_labels(shared_data):
    with np.load(shared_data / "mnist.npz") as f:
        return f["y_train"]


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.6, 1.0])
def test_symmetric_exclusive_rate_and_targets(labels, rate):
    r = noise.SymmetricExclusive(rate).apply(labels, num_classes=K, seed=1)
    assert abs(r.rate - rate) <= sigma_band(rate, N)
    flipped = r.labels != labels
    np.testing.assert_array_equal(flipped, r.is_noisy)
    # A flip always lands on another class, uniformly over the K - 1 others.
    if flipped.any():
        offsets = (r.labels[flipped] - labels[flipped]) % K
        assert offsets.min() >= 1
        counts = np.bincount(offsets, minlength=K)[1:]
        expected = flipped.sum() / (K - 1)
        assert np.all(np.abs(counts - expected) <= 6 * math.sqrt(expected))


@pytest.mark.parametrize("rate", [0.2, 0.6, 1.0])
def test_symmetric_inclusive_rate(labels, rate):
    r = noise.SymmetricInclusive(rate).apply(labels, num_classes=K, seed=2)
    expected = rate * (K - 1) / K
    assert abs(r.rate - expected) <= sigma_band(expected, N)
    # Resampling over all K: the noisy label is uniform when rate = 1.
    if rate == 1.0:
        counts = np.bincount(r.labels, minlength=K)
        assert np.all(np.abs(counts - N / K) <= 6 * math.sqrt(N / K))


def test_symmetric_exact_hand_counts():
    # Class sizes 10, 3, 7, 4 at rate 0.25: 2.5 -> 3, 0.75 -> 1, 1.75 -> 2, 1.0 -> 1.
    y = np.repeat(np.arange(4), [10, 3, 7, 4])
    r = noise.SymmetricExact(0.25).apply(y, num_classes=4, seed=0)
    flipped_per_class = np.bincount(y[r.is_noisy], minlength=4)
    np.testing.assert_array_equal(flipped_per_class, [3, 1, 2, 1])
    assert np.all(r.labels[r.is_noisy] != y[r.is_noisy])


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.4, 0.6, 1.0])
def test_symmetric_exact_is_exact(labels, rate):
    r = noise.SymmetricExact(rate).apply(labels, num_classes=K, seed=3)
    class_counts = np.bincount(labels, minlength=K)
    flipped = np.bincount(labels[r.is_noisy], minlength=K)
    np.testing.assert_array_equal(flipped, np.floor(rate * class_counts + 0.5))
    assert abs(r.rate - rate) <= K / N  # only rounding
    # which labels flip differs with the seed, the counts do not
    other = noise.SymmetricExact(rate).apply(labels, num_classes=K, seed=4)
    if 0 < rate < 1:
        assert not np.array_equal(r.is_noisy, other.is_noisy)


def test_pair_flip_only_to_next_class(labels):
    r = noise.PairFlip(0.4).apply(labels, num_classes=K, seed=5)
    changed = r.labels != labels
    np.testing.assert_array_equal(r.labels[changed], (labels[changed] + 1) % K)
    assert abs(r.rate - 0.4) <= sigma_band(0.4, N)
    allowed = np.eye(K, dtype=bool) | np.roll(np.eye(K, dtype=bool), 1, axis=1)
    assert np.all(r.transition_counts[~allowed] == 0)


def test_asymmetric_mnist_map_on_real_labels(mnist_labels):
    rate = 0.4
    r = noise.Asymmetric(rate, mapping="mnist").apply(mnist_labels, num_classes=10, seed=6)
    allowed = {(2, 7), (3, 8), (5, 6), (6, 5), (7, 1)}
    changed = r.labels != mnist_labels
    pairs = set(zip(mnist_labels[changed].tolist(), r.labels[changed].tolist(), strict=True))
    assert pairs == allowed
    # realised rate = rate x share of mapped classes (counts from the data README)
    share = (5958 + 6131 + 5421 + 5918 + 6265) / 60000
    assert abs(r.rate - rate * share) <= sigma_band(rate * share, 60000)


def test_asymmetric_cifar10_map_and_custom_map(labels):
    r = noise.Asymmetric(1.0, mapping="cifar10").apply(labels, num_classes=K, seed=7)
    expected = labels.copy()
    for src, dst in {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}.items():
        expected[labels == src] = dst
    np.testing.assert_array_equal(r.labels, expected)
    custom = noise.Asymmetric(1.0, mapping={0: 1}).apply([0, 1, 2, 0], num_classes=3, seed=0)
    np.testing.assert_array_equal(custom.labels, [1, 1, 2, 1])
    # JSON turns int keys into strings; a config read back from JSON still works
    cfg = json.loads(json.dumps({"name": "asymmetric", "rate": 0.5, "mapping": {"0": 1}}))
    assert noise.from_config(cfg).mapping == {0: 1}


def test_transition_matrix_realised_close_to_given(labels):
    rng = np.random.default_rng(0)
    t = rng.dirichlet(np.ones(K), size=K)
    t[3] = np.eye(K)[3]  # a deterministic row
    r = noise.TransitionMatrix(t).apply(labels, num_classes=K, seed=8)
    counts = np.bincount(labels, minlength=K)
    for i in range(K):
        band = 6 * np.sqrt(t[i] * (1 - t[i]) / counts[i]) + 1e-12
        assert np.all(np.abs(r.transition[i] - t[i]) <= band), i
    assert np.all(r.labels[labels == 3] == 3)
    np.testing.assert_allclose(r.transition.sum(axis=1), 1.0)
    expected_rate = float(np.sum(counts / N * (1 - np.diag(t))))
    assert abs(r.rate - expected_rate) <= sigma_band(expected_rate, N)


def _symmetric(rate, k):
    """Off the diagonal ``rate / (K - 1)`` each, ``1 - rate`` on it."""
    return np.full((k, k), rate / (k - 1)) + np.eye(k) * (1 - rate - rate / (k - 1))


def _with_clean_pairs(extra, alpha, k):
    """Rows over the ``(1 + alpha) N`` examples: one clean pair per image (its own class)
    and ``alpha`` pairs labelled from ``extra``."""
    return (np.eye(k) + alpha * extra) / (1 + alpha)


def _geometric_ranked(delta, k):
    """Structured noise with the default ranking: the wrong classes ``y + 1, y + 2, ...``
    then ``y`` itself, with weights ``(1 - delta) ** i`` normalised (hand-derived from
    the paper's description; the code is not consulted)."""
    w = (1 - delta) ** np.arange(k)
    w = w / w.sum()
    t = np.zeros((k, k))
    for y in range(k):
        for i in range(k - 1):
            t[y, (y + 1 + i) % k] = w[i]
        t[y, y] = w[k - 1]
    return t


def _asymmetric_cifar10(rate, k):
    t = np.eye(k)
    for src, dst in {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}.items():  # truck->car, bird->plane, ...
        t[src, src], t[src, dst] = 1 - rate, rate
    return t


# The matrices each model should draw from, written from the models' definitions in
# NumPy (not from ``model.expected_transition``, which is checked against them too).
INDEPENDENT_TRANSITIONS = {
    "symmetric_exclusive": (noise.SymmetricExclusive(0.3), _symmetric(0.3, K)),
    "symmetric_inclusive": (
        noise.SymmetricInclusive(0.3),
        np.full((K, K), 0.3 / K) + 0.7 * np.eye(K),
    ),
    "symmetric_exact": (noise.SymmetricExact(0.3), _symmetric(0.3, K)),
    "pair_flip": (noise.PairFlip(0.3), 0.7 * np.eye(K) + 0.3 * np.eye(K)[(np.arange(K) + 1) % K]),
    "asymmetric": (noise.Asymmetric(0.3, "cifar10"), _asymmetric_cifar10(0.3, K)),
    "additive": (noise.Additive(2), _with_clean_pairs(np.full((K, K), 1 / K), 2, K)),
    "structured": (
        noise.Structured(2, delta=0.5),
        _with_clean_pairs(_geometric_ranked(0.5, K), 2, K),
    ),
}


@pytest.mark.parametrize("name", list(INDEPENDENT_TRANSITIONS))
def test_realised_transition_matches_model(labels, name):
    model, expected = INDEPENDENT_TRANSITIONS[name]
    np.testing.assert_allclose(expected.sum(axis=1), 1.0)  # the hand matrices are stochastic
    np.testing.assert_allclose(model.expected_transition(K), expected, rtol=0, atol=1e-12)
    r = model.apply(labels, num_classes=K, seed=9)
    np.testing.assert_allclose(r.transition.sum(axis=1), 1.0)
    # the realised matrix from the labels themselves: rows = image class, per example
    true = np.tile(labels, r.num_examples // N)
    counts = np.zeros((K, K), dtype=np.int64)
    np.add.at(counts, (true, r.labels), 1)
    np.testing.assert_array_equal(r.transition_counts, counts)
    rows = counts.sum(axis=1, keepdims=True)
    band = 6 * np.sqrt(expected * (1 - expected) / rows) + 1e-9
    assert np.all(np.abs(counts / rows - expected) <= band)
    if name == "symmetric_exact":  # exactly round(0.3 N_k) labels of class k leave it
        flipped = np.bincount(labels, minlength=K) - np.diag(counts)
        np.testing.assert_array_equal(
            flipped, np.floor(0.3 * np.bincount(labels, minlength=K) + 0.5)
        )
    # the realised rate is the share of examples whose label is not their image's class
    assert r.rate == pytest.approx(np.mean(r.labels != true))


# --------------------------------------------------------------------------- additive


@pytest.mark.parametrize("alpha", [0, 1, 5])
def test_additive_layout_and_rate(labels, alpha):
    small = labels[:20_000]
    n = small.shape[0]
    r = noise.Additive(alpha).apply(small, num_classes=K, seed=10)
    assert r.num_examples == (1 + alpha) * n and r.num_clean == n and r.alpha == alpha
    np.testing.assert_array_equal(r.labels[:n], small)  # clean pairs kept, in order
    np.testing.assert_array_equal(r.true_labels, np.tile(small, 1 + alpha))
    idx = np.arange(r.num_examples)
    np.testing.assert_array_equal(r.image_index(idx), idx % n)
    expected = alpha / (1 + alpha) * (K - 1) / K
    assert abs(r.rate - expected) <= sigma_band(expected, r.num_examples)
    if alpha:
        counts = np.bincount(r.labels[n:], minlength=K)  # extra labels are uniform
        assert np.all(np.abs(counts - alpha * n / K) <= 6 * math.sqrt(alpha * n / K))


def test_additive_other_source():
    y = np.array([0, 1, 2, 3])
    r = noise.Additive(3, source="other").apply(y, num_classes=4, seed=11)
    assert r.num_examples == 16
    np.testing.assert_array_equal(r.true_labels, [0, 1, 2, 3] + [-1] * 12)
    assert r.is_noisy[4:].all() and not r.is_noisy[:4].any()
    np.testing.assert_array_equal(r.image_index(np.arange(16)), [0, 1, 2, 3] + list(range(12)))
    assert r.transition_counts.sum() == 4  # only examples with a class count
    assert r.rate == 12 / 16


def test_uniform_extra_labels_include_the_true_class(labels):
    """Rolnick's uniform labels range over all K classes: an extra pair carries its
    image's own class with probability 1/K (else each wrong class would outvote the
    true one once alpha > K - 1)."""
    small = labels[:20_000]
    r = noise.Additive(5).apply(small, num_classes=K, seed=21)
    n = small.shape[0]
    own = np.mean(r.labels[n:] == r.true_labels[n:])
    assert abs(own - 1 / K) <= sigma_band(1 / K, 5 * n)


MNIST_LIKE_RANKING = [[(y + 3 * j) % K for j in range(1, K)] for y in range(K)]  # not the default


@pytest.mark.parametrize("order", noise.ORDERS)
def test_structured_delta_one_is_always_the_first_ranked_class(labels, order):
    small = labels[:20_000]
    n = small.shape[0]
    model = noise.Structured(2, delta=1.0, ranking=MNIST_LIKE_RANKING, order=order)
    first = model.ranked(K)[:, 0]
    r = model.apply(small, num_classes=K, seed=12)
    np.testing.assert_array_equal(r.labels[n:], first[np.tile(small, 2)])
    want = {
        "decreasing": [row[0] for row in MNIST_LIKE_RANKING],
        "increasing": [row[-1] for row in MNIST_LIKE_RANKING],
    }
    if order in want:
        assert first.tolist() == want[order]
    else:  # a fixed random order: reproducible from order_seed, another seed another order
        assert np.array_equal(
            model.ranked(K), noise.Structured(2, 1.0, MNIST_LIKE_RANKING, order).ranked(K)
        )
        other = noise.Structured(2, 1.0, MNIST_LIKE_RANKING, order, order_seed=1).ranked(K)
        assert not np.array_equal(model.ranked(K), other)
        for y, row in enumerate(model.ranked(K)):
            assert sorted(row) == sorted(MNIST_LIKE_RANKING[y])


def test_structured_delta_zero_is_uniform_and_half_is_geometric(labels):
    small = labels[:30_000]
    n = small.shape[0]
    uniform = noise.Additive(1).expected_transition(K)
    np.testing.assert_allclose(noise.Structured(1, 0.0).expected_transition(K), uniform)
    zero = noise.Structured(1, delta=0.0).apply(small, num_classes=K, seed=13)
    counts = np.bincount(zero.labels[n:], minlength=K)
    assert np.all(np.abs(counts - n / K) <= 6 * math.sqrt(n / K))
    # delta = 0.5: the i-th ranked label has probability 0.5 ** (i - 1) / (1 - 0.5 ** K) * 0.5;
    # the default ranking of class y is y + 1, y + 2, ... and y itself comes last
    half = noise.Structured(1, delta=0.5).apply(small, num_classes=K, seed=14)
    for i, offset in enumerate([1, 2, 3, 0]):
        want = 0.5**i * 0.5 / (1 - 0.5**K) if offset else 0.5 ** (K - 1) * 0.5 / (1 - 0.5**K)
        hit = np.mean(half.labels[n:] == (small + offset) % K)
        assert abs(hit - want) <= sigma_band(want, n), (offset, hit, want)


def test_plurality_delta_by_brute_force():
    """Where the true label stops being its images' most frequent label: 1 + alpha q_K
    against alpha q_1, checked on a fine grid of delta."""
    for alpha in (2, 5, 20, 100):
        grid = np.linspace(0, 0.999, 20_000)
        w = (1 - grid[:, None]) ** np.arange(K)
        q = w / w.sum(axis=1, keepdims=True)
        lost = grid[1 + alpha * q[:, -1] <= alpha * q[:, 0]]
        assert noise.plurality_delta(alpha, K) == pytest.approx(lost.min(), abs=1e-4)
    assert noise.plurality_delta(20, K) == pytest.approx(0.0542, abs=1e-4)
    assert noise.plurality_delta(1, K) == float("inf")


# --------------------------------------------------------------------------- determinism


ALL_MODELS = NOISE_DIGEST_MODELS


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
def test_same_seed_same_labels_different_seed_different(labels, model):
    a = model.apply(labels, num_classes=K, seed=2024)
    b = model.apply(labels, num_classes=K, seed=2024)
    c = model.apply(labels, num_classes=K, seed=2025)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    # a Generator works too, and the recorded state replays it exactly
    gen = np.random.default_rng(2024)
    g = model.apply(labels, num_classes=K, seed=gen)
    np.testing.assert_array_equal(g.labels, a.labels)
    assert g.seed == 2024 and a.seed == 2024
    replay = np.random.Generator(np.random.PCG64())
    replay.bit_generator.state = g.rng_state
    np.testing.assert_array_equal(model.apply(labels, num_classes=K, seed=replay).labels, a.labels)


def test_global_random_state_untouched(labels):
    np.random.seed(0)  # noqa: NPY002 - the legacy global state is what is checked
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    noise.SymmetricExclusive(0.5).apply(labels, num_classes=K, seed=1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_noisy_labels_match_the_regression_snapshot():
    """A regression snapshot, not a proof of correctness: the same models and seed give
    the same labels as when ``fixtures/noise_digests.json`` was written.

    The digests were made by this code (``tests/fixtures/make_noise_digests.py``,
    ``python -m tests.fixtures.make_noise_digests``; rerun it only when a model's
    sampling changes on purpose, since committed runs' labels change with it).  What
    the labels should be is checked above, against NumPy formulas and binomial bands;
    this catches any unintended change of the labels a seed gives.  The noise models
    are NumPy only, so the labels cannot depend on the Keras backend: the test is
    backend-free and runs once.
    """
    expected = json.loads((FIXTURES / "noise_digests.json").read_text())
    assert set(expected) == {repr(m) for m in ALL_MODELS}
    assert noise_digests() == expected


# --------------------------------------------------------------------------- records


def test_summary_is_json_and_complete(labels):
    r = noise.Structured(1, delta=0.2).apply(labels[:1000], num_classes=K, seed=3)
    s = json.loads(json.dumps(r.summary()))
    assert s["model"] == {
        "name": "structured",
        "alpha": 1,
        "delta": 0.2,
        "ranking": None,
        "order": "decreasing",
        "order_seed": 0,
    }
    assert s["num_examples"] == 2000 and s["num_clean"] == 1000 and s["seed"] == 3
    assert s["num_noisy"] == int(r.is_noisy.sum())
    assert s["rate"] == r.rate
    np.testing.assert_array_equal(np.array(s["transition_counts"]), r.transition_counts)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937])
def test_summary_rng_state_restores_the_draw(labels, bit_generator):
    """The recorded generator state is strict JSON and replays the noise exactly
    (MT19937's state holds a NumPy array: it is written as a list)."""
    model = noise.SymmetricInclusive(0.4)
    rng = np.random.Generator(bit_generator(11))
    r = model.apply(labels[:500], num_classes=K, seed=rng)
    state = json.loads(json.dumps(r.summary(), allow_nan=False))["rng_state"]
    assert state["bit_generator"] == bit_generator.__name__
    replay = bit_generator()
    replay.state = state
    again = model.apply(labels[:500], num_classes=K, seed=np.random.Generator(replay))
    np.testing.assert_array_equal(again.labels, r.labels)


@pytest.mark.parametrize("model", ALL_MODELS, ids=repr)
def test_config_round_trip(model):
    cfg = json.loads(json.dumps(model.get_config()))
    assert noise.from_config(cfg) == model
    name = cfg.pop("name")
    assert noise.get(name, **cfg) == model


def test_registry_names():
    assert set(noise.available()) == {
        "symmetric_exclusive",
        "symmetric_inclusive",
        "symmetric_exact",
        "pair_flip",
        "asymmetric",
        "transition_matrix",
        "additive",
        "structured",
        "instance_dependent",
    }
    assert noise.get("pair-flip", rate=0.1) == noise.PairFlip(0.1)


def test_result_is_read_only_and_input_untouched(labels):
    y = labels[:100].copy()
    r = noise.SymmetricExclusive(0.5).apply(y, num_classes=K, seed=0)
    with pytest.raises(ValueError, match="read-only"):
        r.labels[0] = 3
    with pytest.raises(ValueError, match="read-only"):
        r.true_labels[0] = 3
    np.testing.assert_array_equal(y, labels[:100])
    y[0] = (y[0] + 1) % K  # the caller's array stays writable
    assert r.true_labels[0] == labels[0]


def test_labels_shaped_n_by_1_are_accepted():
    y = np.array([[0], [1], [2]])
    r = noise.PairFlip(1.0).apply(y, num_classes=3, seed=0)
    np.testing.assert_array_equal(r.labels, [1, 2, 0])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
@pytest.mark.parametrize(
    "cls",
    [
        noise.SymmetricExclusive,
        noise.SymmetricInclusive,
        noise.SymmetricExact,
        noise.PairFlip,
        noise.Asymmetric,
    ],
)
def test_rate_outside_unit_interval(cls, rate):
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\]"):
        cls(rate)


@pytest.mark.parametrize("alpha", [-1, 2.5, 2.0, "3", True])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be a non-negative integer"):
        noise.Additive(alpha)
    with pytest.raises(ValueError, match="alpha"):
        noise.Structured(alpha, delta=0.1)


def test_bad_delta_order_and_ranking():
    with pytest.raises(ValueError, match=r"delta must be in \[0, 1\]"):
        noise.Structured(1, delta=1.1)
    with pytest.raises(TypeError, match=r"delta must be a number in \[0, 1\]"):
        noise.Structured(1, delta="half")
    with pytest.raises(ValueError, match="order must be one of decreasing, increasing, random"):
        noise.Structured(1, delta=0.5, order="confusing")
    with pytest.raises(ValueError, match="ranking row 0 must list every class but 0 once"):
        noise.Structured(1, delta=0.5, ranking=[[0, 1], [0, 2], [0, 1]])
    with pytest.raises(ValueError, match=r"K x \(K - 1\)"):
        noise.Structured(1, delta=0.5, ranking=[1, 2, 0])
    with pytest.raises(ValueError, match="ranking has rows for 3 classes, but num_classes=4"):
        three = [[1, 2], [0, 2], [0, 1]]
        noise.Structured(1, delta=0.5, ranking=three).apply([0, 1], num_classes=4, seed=0)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([0, 1, 10], r"labels must be in \[0, 10\)"),
        ([-1, 0], r"labels must be in \[0, 10\)"),
        ([], "must not be empty"),
        (np.zeros((2, 2), int), "shape"),
    ],
)
def test_bad_labels(bad, message):
    with pytest.raises(ValueError, match=message):
        noise.SymmetricExclusive(0.1).apply(np.asarray(bad, dtype=int), num_classes=10, seed=0)


def test_bad_labels_dtype_and_num_classes():
    with pytest.raises(TypeError, match="integer"):
        noise.PairFlip(0.1).apply(np.array([0.5, 1.0]), num_classes=10, seed=0)
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        noise.PairFlip(0.1).apply([0, 0], num_classes=1, seed=0)
    with pytest.raises(TypeError, match="seed"):
        noise.PairFlip(0.1).apply([0, 1], num_classes=2, seed=None)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[0.5, 0.5], [0.2, 0.7]], "row-stochastic.*row 1 sums to 0.9"),
        ([[1.5, -0.5], [0, 1]], r"entries in \[0, 1\]"),
        ([[1, 0, 0], [0, 1, 0]], "square"),
        ([[1.0]], "K >= 2"),
        ([[np.nan, 1], [0, 1]], r"entries in \[0, 1\]"),
    ],
)
def test_bad_transition_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        noise.TransitionMatrix(matrix)


def test_transition_matrix_wrong_size_for_labels():
    with pytest.raises(ValueError, match="num_classes=3"):
        noise.TransitionMatrix(np.eye(2)).apply([0, 1], num_classes=3, seed=0)


def test_bad_maps():
    with pytest.raises(ValueError, match=r"names classes \[12\]"):
        noise.Asymmetric(0.2, {2: 12}).apply([0, 2], num_classes=10, seed=0)
    with pytest.raises(ValueError, match="to itself"):
        noise.Asymmetric(0.2, {2: 2})
    with pytest.raises(ValueError, match="mapping must be a dict or one of"):
        noise.Asymmetric(0.2, "imagenet")
    with pytest.raises(ValueError, match="classes must be >= 0"):
        noise.Asymmetric(0.2, {-1: 2})
    with pytest.raises(TypeError, match="mapping must be"):
        noise.Asymmetric(0.2, {1.5: 2})


def test_unknown_model_lists_names():
    with pytest.raises(ValueError, match="available: symmetric_exclusive"):
        noise.get("gaussian", rate=0.1)
    with pytest.raises(TypeError, match="'pair_flip'"):
        noise.get("pair_flip", rho=0.1)


# --------------------------------------------------------------------------- the hooks


@pytest.fixture
def registry_as_it_was():
    """What a test registers is gone after it."""
    saved = dict(noise._REGISTRY._entries), dict(noise._REGISTRY._origins)
    yield
    noise._REGISTRY._entries, noise._REGISTRY._origins = saved


class EvenPositions(noise.NoiseModel):
    """Moves the label of every even position ``shift`` classes on: deterministic, so
    what ``apply`` reports is known."""

    name = "even_positions"

    def __init__(self, shift=1):
        self.shift = shift

    def get_config(self):
        return {"name": self.name, "shift": self.shift}

    def check_classes(self, k):
        if not 0 < self.shift < k:
            raise ValueError(f"shift {self.shift} does not fit {k} classes")

    def corrupt(self, y, k, rng):
        noisy = y.copy()
        noisy[::2] = (y[::2] + self.shift) % k
        return noisy, y

    def compute_expected_transition(self, k):
        return 0.5 * np.eye(k) + 0.5 * np.roll(np.eye(k), self.shift, axis=1)


def test_apply_and_expected_transition_call_the_public_hooks():
    y = np.array([0, 1, 2, 3, 0, 1])
    r = EvenPositions(1).apply(y, num_classes=4, seed=0)
    np.testing.assert_array_equal(r.labels, [1, 1, 3, 3, 1, 1])
    np.testing.assert_array_equal(r.is_noisy, [True, False, True, False, True, False])
    assert r.rate == 0.5 and r.model == {"name": "even_positions", "shift": 1}
    # class 0 at positions 0 and 4 (both moved), 1 at 1 and 5, 2 at 2 (moved), 3 at 3
    np.testing.assert_array_equal(
        r.transition, [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]]
    )
    expected = [[0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]]
    np.testing.assert_array_equal(EvenPositions(1).expected_transition(3), expected)
    # check_classes runs first: shift 5 would otherwise wrap round without complaint
    with pytest.raises(ValueError, match="shift 5 does not fit 4 classes"):
        EvenPositions(5).apply(y, num_classes=4, seed=0)
    with pytest.raises(ValueError, match="shift 5 does not fit 4 classes"):
        EvenPositions(5).expected_transition(4)


def test_our_models_implement_the_public_hooks():
    y, rng = np.array([0, 1, 2]), np.random.default_rng(0)
    noisy, true = noise.PairFlip(1.0).corrupt(y, 3, rng)  # rate 1: every label moves on
    np.testing.assert_array_equal(noisy, [1, 2, 0])
    np.testing.assert_array_equal(true, y)
    flips = noise.PairFlip(0.3).compute_expected_transition(3)
    np.testing.assert_allclose(flips, [[0.7, 0.3, 0], [0, 0.7, 0.3], [0.3, 0, 0.7]])
    noise.Asymmetric(0.2, {2: 12}).check_classes(13)
    with pytest.raises(ValueError, match=r"names classes \[12\]"):
        noise.Asymmetric(0.2, {2: 12}).check_classes(10)
    for cls in (noise.NoiseModel, *(type(noise.get(n, **p)) for n, p in _ONE_OF_EACH)):
        assert not {"_corrupt", "_expected", "_check_classes"} & set(dir(cls)), cls


_ONE_OF_EACH = [
    ("symmetric_exclusive", {"rate": 0.1}),
    ("symmetric_inclusive", {"rate": 0.1}),
    ("symmetric_exact", {"rate": 0.1}),
    ("pair_flip", {"rate": 0.1}),
    ("asymmetric", {"rate": 0.1}),
    ("transition_matrix", {"matrix": np.eye(2)}),
    ("additive", {"alpha": 1}),
    ("structured", {"alpha": 1, "delta": 0.1}),
    ("instance_dependent", {"rate": 0.1}),
]


def test_one_of_each_covers_every_name():
    assert [n for n, _ in _ONE_OF_EACH] == noise._REGISTRY.builtins()


def test_registering_leaves_the_class_as_it_was(registry_as_it_was):
    class Unnamed(noise.NoiseModel):
        def __init__(self, rate=0.0):
            self.rate = rate

        def get_config(self):
            return {"name": self.name, "rate": self.rate}

        def corrupt(self, y, k, rng):
            return y.copy(), y

    before = dict(vars(Unnamed))
    assert Unnamed.name == ""
    assert noise.register("Unnamed-Test", Unnamed) is Unnamed
    assert dict(vars(Unnamed)) == before  # nothing set on the class
    # ... yet it is called by its registered name, as before
    assert Unnamed.name == "unnamed_test" and Unnamed(0.1).name == "unnamed_test"
    assert noise.get("unnamed_test", rate=0.1).get_config() == {"name": "unnamed_test", "rate": 0.1}
    assert noise.from_config({"name": "unnamed_test", "rate": 0.2}) == Unnamed(0.2)

    class Sub(Unnamed):
        pass

    assert Sub.name == "unnamed_test"  # a subclass inherits it until registered itself
    noise.register("sub_test", Sub)
    assert (Sub.name, Unnamed.name) == ("sub_test", "unnamed_test")
    with pytest.raises(ValueError, match="named 'unnamed_test' but registered as 'other_test'"):
        noise.register("other_test", Unnamed)  # its configs would name the first
    assert not noise.has("other_test")

    # a class that declares its name keeps it and is refused under another
    declared = dict(vars(EvenPositions))
    noise.register("even_positions", EvenPositions)
    assert dict(vars(EvenPositions)) == declared
    with pytest.raises(ValueError, match="named 'even_positions' but registered as 'shifted'"):
        noise.register("shifted", EvenPositions)

    # a subclass of one of ours that declares no name takes the registered one (and the
    # built-in keeps its own)
    class Bigger(noise.PairFlip):
        pass

    noise.register("bigger_test", Bigger)
    assert Bigger(0.1).get_config() == {"name": "bigger_test", "rate": 0.1}
    assert noise.PairFlip(0.1).get_config() == {"name": "pair_flip", "rate": 0.1}
    assert vars(noise.PairFlip)["name"] == "pair_flip"
