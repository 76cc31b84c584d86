"""Label-noise models that say what they did.

Every model is a small, serialisable description (``get_config``/``from_config``);
``model.apply(labels, num_classes=K, seed=...)`` corrupts a label array with an
explicit seed (an ``int`` or a ``numpy.random.Generator``; global random state is
never touched) and returns a :class:`NoiseResult` holding the noisy labels and
what actually happened: the ``is_noisy`` mask, the realised transition matrix
and noise rate, and the seed and generator state needed to replay it.

Two families:

*Replacement* models keep N examples and change some labels:

=====================  ===========================================  =================
name                   rule                                         realised rate
=====================  ===========================================  =================
symmetric_exclusive    with prob. rho flip to one of the other      rho
                       K - 1 classes, uniformly (Menon, Patrini)
symmetric_inclusive    with prob. rho resample over all K classes   rho (K - 1) / K
                       (DivideMix)
symmetric_exact        exactly round(rho N_k) labels of each class  rho (to rounding)
                       flipped to other classes (SCE, APL)
pair_flip              i -> (i + 1) mod K with prob. rho            rho
asymmetric             fixed map of confusable classes, each        rho x share of
                       mapped label flips with prob. rho            mapped classes
transition_matrix      noisy label drawn from row y of T            sum_y pi_y (1 - T_yy)
=====================  ===========================================  =================

*Additive* models (Rolnick et al. 2017) keep the N clean pairs and append
``alpha * N`` extra pairs, example ``N + k`` reusing training image ``k mod N``
(or image ``k mod N_other`` of another array): ``additive`` draws their labels
uniformly over the K classes, ``structured`` biases them by ``delta`` towards the
classes most confused with the true one.  The first N examples of every result are the
clean ones, in the order given, so pipelines find images by index arithmetic and
never copy them.

Reference: the variants are named in ``docs/data-and-noise.md``; Rolnick, Veit,
Belongie, Shavit, "Deep Learning is Robust to Massive Label Noise", 2017.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from kerasnoise._io import to_json_safe
from kerasnoise.registry import Registry

__all__ = [
    "NoiseModel",
    "NoiseResult",
    "SymmetricExclusive",
    "SymmetricInclusive",
    "SymmetricExact",
    "PairFlip",
    "Asymmetric",
    "TransitionMatrix",
    "Additive",
    "Structured",
    "ORDERS",
    "plurality_delta",
    "ASYMMETRIC_MAPS",
    "available",
    "get",
    "from_config",
    "register",
]

SeedLike = int | np.integer | np.random.Generator | np.random.SeedSequence

#: Built-in confusable-class maps for :class:`Asymmetric` (``docs/data-and-noise.md``).
ASYMMETRIC_MAPS: dict[str, dict[int, int]] = {
    # 2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1
    "mnist": {2: 7, 3: 8, 5: 6, 6: 5, 7: 1},
    # truck -> automobile, bird -> airplane, deer -> horse, cat <-> dog
    "cifar10": {9: 1, 2: 0, 4: 7, 3: 5, 5: 3},
}


# --------------------------------------------------------------------------- checks


def _check_fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def _check_alpha(alpha: Any) -> int:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Integral) or alpha < 0:
        raise ValueError(f"alpha must be a non-negative integer (0, 1, 2, ...), got {alpha!r}")
    return int(alpha)


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    return int(num_classes)


def check_labels(labels: Any, num_classes: int) -> np.ndarray:
    """Validate class-index labels and return them as a 1-D ``int64`` array.

    Accepts shape ``(N,)`` or ``(N, 1)`` (Keras's CIFAR layout).

    Raises:
        TypeError: labels are not integers.
        ValueError: empty, wrong shape, or values outside ``[0, num_classes)``.
    """
    num_classes = _check_num_classes(num_classes)
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"labels must have shape (N,) or (N, 1), got {y.shape}")
    if y.size == 0:
        raise ValueError("labels must not be empty (got 0 labels)")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integer class indices, got dtype {y.dtype}")
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"labels must be in [0, {num_classes}) for num_classes={num_classes}, "
            f"got values in [{low}, {high}]"
        )
    return y.astype(np.int64, copy=False)


def check_transition_matrix(matrix: Any, name: str = "T", atol: float = 1e-6) -> np.ndarray:
    """Validate a row-stochastic K x K matrix (K >= 2) and return it as ``float64``."""
    try:
        t = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a K x K array of numbers: {err}") from None
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValueError(f"{name} must be a square K x K matrix with K >= 2, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t > 1):
        raise ValueError(
            f"{name} must have finite entries in [0, 1] (non-negative, rows summing to 1)"
        )
    sums = t.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name} must be row-stochastic (every row sums to 1 within {atol}); "
            f"row {i} sums to {sums[i]:.8g}"
        )
    return t


def _generator(seed: SeedLike) -> tuple[np.random.Generator, int | None]:
    """An explicit generator and the integer seed it came from, if known."""
    if isinstance(seed, np.random.Generator):
        seq = getattr(seed.bit_generator, "seed_seq", None)
        entropy = seq.entropy if isinstance(seq, np.random.SeedSequence) else None
        return seed, entropy if isinstance(entropy, int) else None
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        return np.random.default_rng(seed), entropy if isinstance(entropy, int) else None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(
            "seed must be a non-negative int, a numpy.random.SeedSequence or a "
            f"numpy.random.Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed)), int(seed)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class NoiseResult:
    """What a noise model did to a label array (its arrays are read-only).

    Attributes:
        labels: noisy labels, ``int64``, one per training example.  Replacement
            models give N; additive models ``(1 + alpha) N``, the first N clean.
        true_labels: the true class of each example's image (``-1`` for extra
            images from another array, which belong to no class).
        is_noisy: ``labels != true_labels``.  A resampled label that happens to
            equal the true one is not noisy.
        num_classes: K.
        num_clean: N, the number of original examples.
        transition: realised K x K matrix, row ``i`` = distribution of the noisy
            label over examples whose image is of class ``i`` (rows of classes
            that do not occur are zero).
        transition_counts: the counts behind ``transition``.
        rate: realised noise rate, the fraction of examples with a wrong label.
        seed: the integer seed, when known.
        rng_state: the bit-generator state before any draw; setting it on a
            fresh ``numpy.random.PCG64`` replays the corruption exactly.
        model: the noise model's config (``{"name": ..., **params}``).
        alpha: extra copies per clean example (0 for replacement models).
        extra_source: ``"train"`` (extra pairs reuse training images) or
            ``"other"`` (extra pairs use images of another array).
    """

    labels: np.ndarray
    true_labels: np.ndarray
    is_noisy: np.ndarray
    num_classes: int
    num_clean: int
    transition: np.ndarray
    transition_counts: np.ndarray
    rate: float
    seed: int | None
    rng_state: dict
    model: dict
    alpha: int = 0
    extra_source: str = "train"
    #: ``(start, stop, total)`` when these examples are part of a larger draw
    #: (:meth:`part`), else None.
    drawn_part: tuple[int, int, int] | None = None

    @property
    def num_examples(self) -> int:
        """Number of (image, label) pairs: N, or (1 + alpha) N for additive noise."""
        return int(self.labels.shape[0])

    def image_index(self, example: Any) -> np.ndarray:
        """Index of the image behind each example index.

        Examples ``j < N`` use training image ``j``.  Extra example ``N + k`` uses
        training image ``k mod N`` (``extra_source="train"``) or image ``k`` of the
        other array, modulo its length, (``extra_source="other"``; the returned
        index is then ``k``, to be reduced by the caller who knows that length).
        """
        j = np.asarray(example, dtype=np.int64)
        if self.extra_source == "train":
            return j % self.num_clean
        return np.where(j < self.num_clean, j, j - self.num_clean)

    def part(self, start: int, stop: int) -> NoiseResult:
        """The examples ``start .. stop - 1`` of a replacement model's draw as a result
        of their own (realised rate and transition over them); ``seed`` and
        ``rng_state`` are the whole draw's (``part`` in the summary says which part)."""
        if self.alpha:
            raise ValueError("part() splits a replacement model's draw, not additive noise")
        if not 0 <= start < stop <= self.num_examples:
            raise ValueError(f"part({start}, {stop}) is outside 0..{self.num_examples}")
        noisy, true = self.labels[start:stop], self.true_labels[start:stop]
        matrix, counts = _realised(true, noisy, self.num_classes)
        is_noisy = self.is_noisy[start:stop]
        for array in (matrix, counts):
            array.flags.writeable = False
        return dataclasses.replace(
            self,
            labels=noisy,
            true_labels=true,
            is_noisy=is_noisy,
            num_clean=stop - start,
            transition=matrix,
            transition_counts=counts,
            rate=float(is_noisy.mean()),
            drawn_part=(start, stop, self.num_examples),
        )

    def summary(self) -> dict:
        """A JSON-serialisable record of the noise actually applied."""
        return {
            "model": copy.deepcopy(self.model),
            "num_classes": self.num_classes,
            "num_clean": self.num_clean,
            "num_examples": self.num_examples,
            "alpha": self.alpha,
            "extra_source": self.extra_source,
            "rate": self.rate,
            "num_noisy": int(self.is_noisy.sum()),
            "transition": self.transition.tolist(),
            "transition_counts": self.transition_counts.tolist(),
            "seed": self.seed,
            "rng_state": to_json_safe(self.rng_state),
            **({} if self.drawn_part is None else {"drawn_part": list(self.drawn_part)}),
        }


def _realised(true: np.ndarray, noisy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Realised transition matrix and counts over examples with a true class."""
    known = true >= 0
    counts = np.bincount(true[known] * k + noisy[known], minlength=k * k).reshape(k, k)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)
    return matrix, counts


def _corrupted(noisy, true, y: np.ndarray, k: int, model: str) -> tuple[np.ndarray, np.ndarray]:
    """What ``_corrupt`` returned, as int64 arrays, checked (a plug-in's included)."""
    noisy, true = np.asarray(noisy), np.asarray(true)
    for name, array, low in (("noisy", noisy, 0), ("true", true, -1)):
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"{model}._corrupt returned {name} labels of shape {array.shape} and dtype "
                f"{array.dtype}; expected a 1-D integer array"
            )
        if array.size and (array.min() < low or array.max() >= k):
            raise ValueError(
                f"{model}._corrupt returned {name} labels outside [{low}, {k}) for {k} classes"
            )
    if noisy.shape != true.shape or noisy.shape[0] < y.shape[0]:
        raise ValueError(
            f"{model}._corrupt returned {noisy.shape[0]} noisy and {true.shape[0]} true labels "
            f"for {y.shape[0]} examples; expected as many of each, at least {y.shape[0]}"
        )
    return noisy.astype(np.int64, copy=False), true.astype(np.int64, copy=False)


def _check_images(images: Any, n: int, model: str) -> np.ndarray:
    """The images a model with ``needs_images`` gets: an array of N images, not copied."""
    if images is None:
        raise ValueError(
            f"noise model {model!r} draws labels from the images: pass images= (the N "
            "training images) to apply; the training pipeline does this for data sets "
            "whose images it loads"
        )
    x = np.asarray(images)  # no copy for an array
    if x.ndim < 2 or x.shape[0] != n:
        raise ValueError(
            f"noise model {model!r} needs one image per label: got images of shape "
            f"{x.shape} for {n} labels"
        )
    return x


# --------------------------------------------------------------------------- base


class NoiseModel:
    """Base class of every noise model, ours and plug-ins (:func:`register`).

    ``apply`` validates the labels, makes the generator, and builds the
    :class:`NoiseResult` (realised rate and transition matrix included); a subclass
    sets ``name`` (or takes the registered one) and implements:

    - ``get_config()``: ``{"name": self.name, **parameters}``, the keyword arguments
      of its constructor (what configs, run ids and ``noise.json`` hold);
    - ``_corrupt(y, k, rng)``: ``(noisy_labels, true_labels)`` for the validated
      ``int64`` labels ``y`` of ``k`` classes, drawing only from the NumPy generator
      ``rng``.  A replacement model returns ``(noisy, y)``; an additive one returns
      ``(1 + alpha) N`` entries whose first N are ``y`` and sets ``alpha`` (and
      ``source``, where the extra images come from) as attributes;
    - optionally ``_expected(k)``, the K x K matrix it draws from
      (:meth:`expected_transition`), and ``_check_classes(k)``, which raises
      ``ValueError`` when its parameters do not fit ``k`` classes.

    A model whose labels depend on the images (instance-dependent noise) sets the
    class attribute ``needs_images = True``: ``apply`` then requires ``images=``
    (the N training images, as given: the pipelines pass the data set's own array,
    never a copy) and calls ``_corrupt(y, k, rng, images)``.
    """

    name: ClassVar[str] = ""
    #: Whether ``_corrupt`` needs the images (``_corrupt(y, k, rng, images)``).
    needs_images: ClassVar[bool] = False
    #: Whether a draw has hidden parameters beside its per-example draws (the
    #: instance-dependent projections): a second call is then another noise process, so
    #: noisy validation labels are drawn in the same call as the training labels
    #: (:func:`kerasnoise.pipelines.corrupt`).
    hidden_parameters: ClassVar[bool] = False

    def apply(
        self, labels: Any, *, num_classes: int, seed: SeedLike, images: Any = None
    ) -> NoiseResult:
        """Corrupt ``labels`` (class indices in ``[0, num_classes)``).

        Args:
            labels: integer array of shape ``(N,)`` or ``(N, 1)``.
            num_classes: K >= 2.
            seed: an ``int``, ``SeedSequence`` or ``Generator``; required so that
                the noise is seeded apart from training.  A ``Generator`` is
                advanced; an ``int`` gives the same result every time.
            images: the N images of the labels, ``(N, ...)``; required by a model
                with ``needs_images`` (it is handed over as it is, not copied), ignored
                by the others.

        Raises:
            ValueError: a model that needs the images got none, or not one per label.
        """
        k = _check_num_classes(num_classes)
        y = check_labels(labels, k).copy()  # our own copy: the result is made read-only
        self._check_classes(k)
        extra = ()
        if self.needs_images:
            extra = (_check_images(images, y.shape[0], self.name or type(self).__name__),)
        rng, int_seed = _generator(seed)
        state = copy.deepcopy(rng.bit_generator.state)
        noisy, true = _corrupted(*self._corrupt(y, k, rng, *extra), y, k, type(self).__name__)
        is_noisy = noisy != true
        matrix, counts = _realised(true, noisy, k)
        for array in (noisy, true, is_noisy, matrix, counts):
            array.flags.writeable = False  # a record of what happened
        return NoiseResult(
            labels=noisy,
            true_labels=true,
            is_noisy=is_noisy,
            num_classes=k,
            num_clean=int(y.shape[0]),
            transition=matrix,
            transition_counts=counts,
            rate=float(is_noisy.mean()),
            seed=int_seed,
            rng_state=state,
            model=self.get_config(),
            alpha=getattr(self, "alpha", 0),
            extra_source="train" if getattr(self, "source", "train") == "train" else "other",
        )

    def expected_transition(self, num_classes: int) -> np.ndarray:
        """The K x K matrix the model draws from: ``P(noisy = j | true = i)``.

        For additive models this is over all ``(1 + alpha) N`` examples.
        """
        k = _check_num_classes(num_classes)
        self._check_classes(k)
        return self._expected(k)

    def get_config(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NoiseModel:
        params = {key: value for key, value in config.items() if key != "name"}
        return cls(**params)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(repr(self))

    # hooks
    def _check_classes(self, k: int) -> None:
        """Raise ``ValueError`` if the model's parameters do not fit K classes."""

    def _corrupt(self, y: np.ndarray, k: int, rng: np.random.Generator):
        raise NotImplementedError

    def _expected(self, k: int) -> np.ndarray:
        raise NotImplementedError


class _RateModel(NoiseModel):
    """A replacement model with one parameter, the flip probability ``rate``."""

    def __init__(self, rate: float):
        self.rate = _check_fraction(rate, "rate")

    def get_config(self) -> dict:
        return {"name": self.name, "rate": self.rate}

    def _corrupt(self, y, k, rng):
        flip = rng.random(y.shape[0]) < self.rate
        return np.where(flip, self._targets(y, k, rng), y), y

    def _targets(self, y, k, rng) -> np.ndarray:
        """The label each example would get if flipped."""
        raise NotImplementedError


# --------------------------------------------------------------------------- replacement


class SymmetricExclusive(_RateModel):
    """With probability ``rate`` replace the label by one of the other K - 1 classes.

    The realised noise rate is ``rate``.  Used by Menon et al. 2020, Patrini et
    al. 2017 and Co-teaching.
    """

    name = "symmetric_exclusive"

    def _targets(self, y, k, rng):
        return (y + rng.integers(1, k, size=y.shape[0])) % k

    def _expected(self, k):
        off = self.rate / (k - 1)
        return np.full((k, k), off) + np.eye(k) * (1.0 - self.rate - off)


class SymmetricInclusive(_RateModel):
    """With probability ``rate`` resample the label uniformly over all K classes.

    A resampled label equals the true one with probability 1/K, so the realised
    noise rate is ``rate * (K - 1) / K`` (DivideMix's convention).
    """

    name = "symmetric_inclusive"

    def _targets(self, y, k, rng):
        return rng.integers(0, k, size=y.shape[0])

    def _expected(self, k):
        return np.full((k, k), self.rate / k) + np.eye(k) * (1.0 - self.rate)


class PairFlip(_RateModel):
    """With probability ``rate`` flip class ``i`` to ``(i + 1) mod K``."""

    name = "pair_flip"

    def _targets(self, y, k, rng):
        return (y + 1) % k

    def _expected(self, k):
        return (1.0 - self.rate) * np.eye(k) + self.rate * np.roll(np.eye(k), 1, axis=1)


class SymmetricExact(_RateModel):
    """Flip exactly ``round(rate * N_k)`` labels of each class ``k`` to other classes.

    Which labels flip is chosen uniformly within each class; each flipped label
    goes to one of the other K - 1 classes uniformly.  ``round`` is half-up:
    ``floor(rate * N_k + 0.5)``.  The realised rate is ``rate`` up to that
    rounding (the convention of the SCE and APL code).
    """

    name = "symmetric_exact"

    def flips_per_class(self, class_counts: np.ndarray) -> np.ndarray:
        """Number of labels flipped in each class, given the class counts."""
        return np.floor(self.rate * np.asarray(class_counts) + 0.5).astype(np.int64)

    def _corrupt(self, y, k, rng):
        n = y.shape[0]
        # Sort by class, randomly within a class: the first n_flip[c] of class c flip.
        # (A random permutation, then a stable radix sort on small-int class keys.)
        perm = rng.permutation(n)
        keys = y[perm].astype(np.uint16) if k <= 2**16 else y[perm]
        order = perm[np.argsort(keys, kind="stable")]
        counts = np.bincount(y, minlength=k)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sorted_y = y[order]
        rank = np.arange(n) - starts[sorted_y]
        flip = np.zeros(n, dtype=bool)
        flip[order] = rank < self.flips_per_class(counts)[sorted_y]
        targets = (y + rng.integers(1, k, size=n)) % k
        return np.where(flip, targets, y), y

    def _expected(self, k):
        return SymmetricExclusive(self.rate)._expected(k)


def _class_map(mapping: Any) -> dict[int, int]:
    if isinstance(mapping, str):
        if mapping not in ASYMMETRIC_MAPS:
            raise ValueError(
                f"mapping must be a dict or one of {sorted(ASYMMETRIC_MAPS)}, got {mapping!r}"
            )
        return dict(ASYMMETRIC_MAPS[mapping])
    pairs = mapping.items() if isinstance(mapping, Mapping) else mapping
    try:
        result = {}
        for src, dst in pairs:
            if isinstance(src, str | bytes) and str(src).isdigit():  # JSON object keys
                src = int(src)
            if any(isinstance(c, bool) or not isinstance(c, numbers.Integral) for c in (src, dst)):
                raise TypeError
            if src in result:
                raise ValueError(f"mapping sends class {src} to two classes")
            result[int(src)] = int(dst)
    except (TypeError, ValueError) as err:
        if isinstance(err, ValueError):
            raise
        raise TypeError(
            "mapping must be a dict {source class: target class} of integers, a list "
            f"of (source, target) pairs, or one of {sorted(ASYMMETRIC_MAPS)}; got {mapping!r}"
        ) from None
    if not result:
        raise ValueError("mapping must name at least one class")
    for src, dst in result.items():
        if src < 0 or dst < 0:
            raise ValueError(f"mapping classes must be >= 0, got {src} -> {dst}")
        if src == dst:
            raise ValueError(f"mapping sends class {src} to itself")
    return result


class Asymmetric(NoiseModel):
    """Flip each label of a mapped class to its confusable class with probability ``rate``.

    Labels of classes not in ``mapping`` never change, so the realised rate is
    ``rate`` times the share of examples whose class is mapped.  Built-in maps
    (``ASYMMETRIC_MAPS``): ``"mnist"`` 2->7, 3->8, 5<->6, 7->1 and ``"cifar10"``
    truck->automobile, bird->airplane, deer->horse, cat<->dog (Patrini et al. 2017).

    Args:
        rate: flip probability in [0, 1].
        mapping: ``{source: target}``, a list of pairs, or a built-in map's name.
    """

    name = "asymmetric"

    def __init__(self, rate: float, mapping: Any = "cifar10"):
        self.rate = _check_fraction(rate, "rate")
        self.mapping = _class_map(mapping)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "rate": self.rate,
            "mapping": [[s, d] for s, d in sorted(self.mapping.items())],
        }

    def _check_classes(self, k):
        bad = sorted({c for pair in self.mapping.items() for c in pair if c >= k})
        if bad:
            raise ValueError(
                f"mapping names classes {bad}, but labels have classes 0..{k - 1} (num_classes={k})"
            )

    def _corrupt(self, y, k, rng):
        target = np.arange(k)
        for src, dst in self.mapping.items():
            target[src] = dst
        flip = rng.random(y.shape[0]) < self.rate
        return np.where(flip, target[y], y), y

    def _expected(self, k):
        t = np.eye(k)
        for src, dst in self.mapping.items():
            t[src, src] = 1.0 - self.rate
            t[src, dst] = self.rate
        return t


class TransitionMatrix(NoiseModel):
    """Draw each noisy label from row ``y`` of a row-stochastic matrix ``T``.

    ``T[i, j] = P(noisy = j | true = i)``; every other replacement model is a
    special case.

    Args:
        matrix: K x K, non-negative, rows summing to 1.
    """

    name = "transition_matrix"

    def __init__(self, matrix: Any):
        self.matrix = check_transition_matrix(matrix, "matrix")

    def get_config(self) -> dict:
        return {"name": self.name, "matrix": self.matrix.tolist()}

    def _check_classes(self, k):
        if self.matrix.shape[0] != k:
            raise ValueError(
                f"matrix is {self.matrix.shape[0]} x {self.matrix.shape[0]}, but num_classes={k}"
            )

    def _corrupt(self, y, k, rng):
        return _sample_rows(self.matrix, y, rng), y

    def _expected(self, k):
        return self.matrix.copy()


def _sample_rows(matrix: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from ``matrix[rows[i]]`` for every i (inverse-CDF, one pass per class)."""
    k = matrix.shape[1]
    u = rng.random(rows.shape[0])
    cdf = np.cumsum(matrix, axis=1)
    out = np.empty(rows.shape[0], dtype=np.int64)
    for c in range(matrix.shape[0]):
        where = np.flatnonzero(rows == c)
        out[where] = np.searchsorted(cdf[c], u[where], side="right")
    # Guard against a cumulative sum that ends a hair below 1, and zero-mass columns.
    return np.minimum(out, k - 1)


# --------------------------------------------------------------------------- additive


class Additive(NoiseModel):
    """Rolnick et al.'s additive noise: ``alpha`` extra pairs per clean example.

    The N clean pairs are kept, in order, and ``alpha * N`` pairs are appended:
    extra pair ``N + k`` reuses training image ``k mod N`` (``source="train"``)
    or image ``k mod N_other`` of another array (any other ``source``: images
    that belong to no class of the task, whose true label is -1) and gets a label
    drawn uniformly over the K classes.  The added fraction is ``alpha / (1 +
    alpha)``; with training images the realised noise rate is ``alpha / (1 +
    alpha) * (K - 1) / K`` (an extra label equals the image's class with
    probability 1/K).  Labels are drawn once, so they are the same in every epoch.

    Args:
        alpha: non-negative integer.
        source: ``"train"``, or the name of the other images: the training runner
            takes ``"white_noise"`` (noise images matched to the task's pixel mean
            and std) or a data set's name (``"fashion_mnist"`` for MNIST,
            ``"cifar100"`` for CIFAR-10; :func:`kerasnoise.datasets.noise_images`);
            with :func:`kerasnoise.pipelines.build` any name, e.g. ``"other"``, and
            the array as ``extra_images``.
    """

    name = "additive"

    def __init__(self, alpha: int, source: str = "train"):
        self.alpha = _check_alpha(alpha)
        if not isinstance(source, str) or not source.strip():
            raise ValueError(
                f"source must be 'train' or the name of the other images, got {source!r}"
            )
        self.source = source

    def get_config(self) -> dict:
        return {"name": self.name, "alpha": self.alpha, "source": self.source}

    def _corrupt(self, y, k, rng):
        extra_true = np.tile(y, self.alpha)
        extra = self._extra_labels(extra_true, k, rng)
        if self.source != "train":
            extra_true = np.full_like(extra_true, -1)
        return np.concatenate((y, extra)), np.concatenate((y, extra_true))

    def _extra_labels(self, true, k, rng):
        return rng.integers(0, k, size=true.shape[0])

    def _extra_distribution(self, k) -> np.ndarray:
        return np.full((k, k), 1.0 / k)

    def _expected(self, k):
        a = self.alpha
        return (np.eye(k) + a * self._extra_distribution(k)) / (1 + a)


#: The orders in which :class:`Structured` ranks the wrong labels of a class.
ORDERS = ("decreasing", "increasing", "random")


class Structured(Additive):
    """Rolnick et al.'s structured noise: additive pairs whose labels favour the
    classes most confused with the true one, more strongly as ``delta`` grows.

    Each extra pair (see :class:`Additive`, training images only) whose image is of
    class ``y`` gets a label drawn over the K classes ranked ``r_1, ..., r_{K-1}``
    (the wrong classes, in ``order``) and then ``y`` itself, with probabilities

        q_i = (1 - delta) ** (i - 1) / sum_{j=1..K} (1 - delta) ** (j - 1):

    each label is ``1 / (1 - delta)`` times as likely as the next (the paper: delta
    "defines how much more likely the second label is than the third, and so on").
    ``delta = 0`` is uniform over all K classes (:class:`Additive`); ``delta = 1``
    always gives ``r_1``.  The true label stays the plurality label of its images,
    ``1 + alpha q_K > alpha q_1``, only for ``delta`` below :func:`plurality_delta`
    (0.055 at alpha = 20, K = 10).

    Args:
        alpha: non-negative integer, extra pairs per clean example.
        delta: bias in [0, 1].
        ranking: for each class, the other K - 1 classes from most to least
            confusing (a K x (K - 1) nested list); default row ``y`` is
            ``y + 1, y + 2, ... (mod K)``.  ``presets.rolnick2017.MNIST_RANKING``
            is the order of a clean model's confusions on MNIST.
        order: ``decreasing`` (``r_1`` is the most confusing class: the ranking as
            given), ``increasing`` (reversed) or ``random`` (each class's wrong
            classes in a random order drawn from ``order_seed``).
        order_seed: seed of the ``random`` order (fixed, so that the label
            distribution is part of the noise model's description).
    """

    name = "structured"

    def __init__(
        self,
        alpha: int,
        delta: float,
        ranking: Sequence[Sequence[int]] | None = None,
        order: str = "decreasing",
        order_seed: int = 0,
    ):
        super().__init__(alpha, source="train")
        self.delta = _check_fraction(delta, "delta")
        self.ranking = None if ranking is None else _ranking(ranking)
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}; got {order!r}")
        self.order = order
        if isinstance(order_seed, bool) or not isinstance(order_seed, numbers.Integral):
            raise TypeError(f"order_seed must be a non-negative integer, got {order_seed!r}")
        if order_seed < 0:
            raise ValueError(f"order_seed must be a non-negative integer, got {order_seed!r}")
        self.order_seed = int(order_seed)

    def get_config(self) -> dict:
        ranking = None if self.ranking is None else self.ranking.tolist()
        return {
            "name": self.name,
            "alpha": self.alpha,
            "delta": self.delta,
            "ranking": ranking,
            "order": self.order,
            "order_seed": self.order_seed,
        }

    def ranked(self, k: int) -> np.ndarray:
        """The wrong classes of each class in the order labels favour them (K x (K - 1))."""
        if self.ranking is None:
            base = (np.arange(k)[:, None] + np.arange(1, k)[None, :]) % k
        else:
            base = self.ranking
        if self.order == "increasing":
            return base[:, ::-1].copy()
        if self.order == "random":
            rng = np.random.default_rng(self.order_seed)
            return np.stack([rng.permutation(row) for row in base])
        return base.copy()

    def _check_classes(self, k):
        if self.ranking is not None and self.ranking.shape[0] != k:
            raise ValueError(
                f"ranking has rows for {self.ranking.shape[0]} classes, but num_classes={k}"
            )

    def _extra_labels(self, true, k, rng):
        return _sample_rows(self._extra_distribution(k), true, rng)

    def _extra_distribution(self, k):
        weights = (1.0 - self.delta) ** np.arange(k)  # 0 ** 0 = 1: delta = 1 gives r_1
        weights /= weights.sum()
        d = np.zeros((k, k))
        rows = np.arange(k)[:, None]
        d[rows, self.ranked(k)] = weights[: k - 1]
        d[np.arange(k), np.arange(k)] = weights[k - 1]
        return d


def plurality_delta(alpha: int, num_classes: int) -> float:
    """The ``delta`` of :class:`Structured` above which the true label is no longer the
    most frequent label of its images: the root of ``1 + alpha q_K = alpha q_1``
    (``inf`` when it stays the plurality label for every delta < 1, as at alpha <= 1)."""
    alpha, k = _check_alpha(alpha), _check_num_classes(num_classes)

    def margin(delta: float) -> float:
        w = (1.0 - delta) ** np.arange(k)
        q = w / w.sum()
        return 1.0 + alpha * q[-1] - alpha * q[0]

    if margin(1.0 - 1e-12) > 0:
        return float("inf")
    lo, hi = 0.0, 1.0
    for _ in range(60):  # bisection: margin falls with delta
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if margin(mid) > 0 else (lo, mid)
    return lo


def _ranking(ranking: Sequence[Sequence[int]]) -> np.ndarray:
    r = np.asarray(ranking)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] != r.shape[0] - 1:
        raise ValueError(
            f"ranking must have one row of the K - 1 other classes per class (K x (K - 1)), "
            f"got shape {r.shape}"
        )
    if not np.issubdtype(r.dtype, np.integer):
        raise TypeError(f"ranking must hold class indices, got dtype {r.dtype}")
    k = r.shape[0]
    for y, row in enumerate(r):
        if sorted(row.tolist()) != [c for c in range(k) if c != y]:
            raise ValueError(
                f"ranking row {y} must list every class but {y} once, got {row.tolist()}"
            )
    return r.astype(np.int64)


# --------------------------------------------------------------------------- registry


def _check_plugin(name: str, model: Any) -> type[NoiseModel]:
    """A plug-in is a :class:`NoiseModel` subclass with its own ``_corrupt`` and
    ``get_config``; a class that sets no ``name`` of its own takes the registered one."""
    if not (isinstance(model, type) and issubclass(model, NoiseModel)):
        raise TypeError(
            f"a noise model must be a kerasnoise.noise.NoiseModel subclass, got {model!r} "
            f"for {name!r}"
        )
    missing = [m for m in ("_corrupt", "get_config") if getattr(model, m) is getattr(NoiseModel, m)]
    if missing:
        raise TypeError(f"noise model {model.__name__} must implement {' and '.join(missing)}")
    if "name" not in vars(model):
        model.name = name
    elif model.name != name:
        raise ValueError(
            f"noise model {model.__name__} is named {model.name!r} but registered as {name!r}: "
            "its get_config()['name'] must be the registered name (or leave name unset)"
        )
    return model


_REGISTRY = Registry(
    "noise model",
    "kerasnoise.noise",
    {
        cls.name: cls
        for cls in (
            SymmetricExclusive,
            SymmetricInclusive,
            SymmetricExact,
            PairFlip,
            Asymmetric,
            TransitionMatrix,
            Additive,
            Structured,
        )
    },
    check=_check_plugin,
    modules=("kerasnoise.instance_noise",),  # instance_dependent: registered there
)


def register(name: str, model: type[NoiseModel] | None = None, *, replace: bool = False):
    """Make a noise model available by name to :func:`get`, configs (``noise=NAME``,
    ``noise.PARAM=...``), sweeps, experiments and ``kerasnoise train`` / ``noise``.

    A decorator, or a plain call::

        @noise.register("block_flip")
        class BlockFlip(noise.NoiseModel): ...

        noise.register("block_flip", BlockFlip)

    The contract: a :class:`NoiseModel` subclass whose constructor's keyword arguments
    are the config's ``noise.*`` parameters; it implements ``get_config()`` (``{"name":
    self.name, **those parameters}``) and ``_corrupt(y, k, rng) -> (noisy, true)``, and
    optionally ``_expected(k)`` (the K x K matrix it draws from) and
    ``_check_classes(k)``.  :meth:`NoiseModel.apply` then reports the realised rate and
    transition matrix, the mask and the seed, as it does for ours.  A class that does
    not set ``name`` takes ``name``.

    Args:
        name: the noise model's name (case-insensitive, ``-`` counts as ``_``).
        model: the class; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a noise model that exists (ours included).

    Returns:
        ``model``, unchanged but for its ``name`` (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false, or the class is named
            otherwise.
        TypeError: ``model`` is not a :class:`NoiseModel` subclass implementing
            ``_corrupt`` and ``get_config``.
    """
    return _REGISTRY.register(name, model, replace=replace)


def available() -> list[str]:
    """Names accepted by :func:`get` (registered models and installed plug-ins included)."""
    return _REGISTRY.available()


def get(name: str, **params: Any) -> NoiseModel:
    """A noise model by name, e.g. ``get("symmetric_exclusive", rate=0.4)``.

    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.noise``).
    """
    return _REGISTRY.build(name, params)


def from_config(config: Mapping[str, Any]) -> NoiseModel:
    """Inverse of ``NoiseModel.get_config``."""
    if "name" not in config:
        raise ValueError("a noise config needs a 'name' key")
    params = {k: v for k, v in config.items() if k != "name"}
    return get(config["name"], **params)
