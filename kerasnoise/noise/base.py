"""What every noise model is: the argument checks, :class:`NoiseResult` (what a model did
to a label array) and :class:`NoiseModel`, the base class of ours and of plug-ins.

``model.apply(labels, num_classes=K, seed=...)`` corrupts a label array with an
explicit seed (an ``int`` or a ``numpy.random.Generator``; global random state is
never touched) and returns a :class:`NoiseResult` holding the noisy labels and
what actually happened: the ``is_noisy`` mask, the realised transition matrix
and noise rate, and the seed and generator state needed to replay it.  A model
implements the hooks :meth:`NoiseModel.corrupt` (and optionally
:meth:`NoiseModel.compute_expected_transition` and :meth:`NoiseModel.check_classes`);
``apply`` does the rest.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from kerasnoise._io import to_json_safe

__all__ = [
    "NoiseModel",
    "NoiseResult",
    "SeedLike",
    "check_fraction",
    "check_labels",
    "check_num_classes",
    "check_registered",
    "check_transition_matrix",
    "sample_rows",
]

SeedLike = int | np.integer | np.random.Generator | np.random.SeedSequence


# --------------------------------------------------------------------------- checks


def check_fraction(value: Any, name: str) -> float:
    """``value`` as a ``float`` if it is a number in [0, 1] (not a bool); the errors name
    ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def check_num_classes(num_classes: Any) -> int:
    """``num_classes`` as an ``int`` if it is an integer >= 2 (not a bool)."""
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
    num_classes = check_num_classes(num_classes)
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
    """What ``corrupt`` returned, as int64 arrays, checked (a plug-in's included)."""
    noisy, true = np.asarray(noisy), np.asarray(true)
    for name, array, low in (("noisy", noisy, 0), ("true", true, -1)):
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"{model}.corrupt returned {name} labels of shape {array.shape} and dtype "
                f"{array.dtype}; expected a 1-D integer array"
            )
        if array.size and (array.min() < low or array.max() >= k):
            raise ValueError(
                f"{model}.corrupt returned {name} labels outside [{low}, {k}) for {k} classes"
            )
    if noisy.shape != true.shape or noisy.shape[0] < y.shape[0]:
        raise ValueError(
            f"{model}.corrupt returned {noisy.shape[0]} noisy and {true.shape[0]} true labels "
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


class _Name:
    """``NoiseModel.name``: the name a model's class declares (``name = "..."`` in its
    body or a base's) or, for a class that declares none, the name it is registered
    under (:func:`check_registered` records it here: registering leaves the class as it
    was); ``""`` for a class that is neither.  Of a class and its bases, the nearest one
    that has a name gives it."""

    def __init__(self) -> None:
        self.registered: dict[type, str] = {}

    def __get__(self, obj: Any, owner: type) -> str:
        for cls in owner.__mro__:
            if cls in self.registered:
                return self.registered[cls]
            declared = vars(cls).get("name")
            if isinstance(declared, str):
                return declared
        return ""


_NAME = _Name()


class NoiseModel:
    """Base class of every noise model, ours and plug-ins
    (:func:`kerasnoise.noise.register`).

    :meth:`apply` validates the labels and the seed, makes the generator, calls the
    hooks and builds the :class:`NoiseResult` (realised rate and transition matrix, the
    mask, the seed); :meth:`expected_transition` validates ``K`` and calls its hook.  A
    subclass sets ``name`` (or takes the registered one) and implements:

    - ``get_config()``: ``{"name": self.name, **parameters}``, the keyword arguments
      of its constructor (what configs, run ids and ``noise.json`` hold);
    - :meth:`corrupt` ``(y, k, rng)``: ``(noisy_labels, true_labels)`` for the
      validated labels, drawing only from ``rng`` (required);
    - :meth:`compute_expected_transition` ``(k)``: the K x K matrix it draws from, what
      :meth:`expected_transition` returns (optional);
    - :meth:`check_classes` ``(k)``: raise ``ValueError`` when its parameters do not
      fit ``k`` classes; called before either of the others (optional).

    A model whose labels depend on the images (instance-dependent noise) sets the
    class attribute ``needs_images = True``: ``apply`` then requires ``images=``
    (the N training images, as given: the pipelines pass the data set's own array,
    never a copy) and calls ``corrupt(y, k, rng, images)``.
    """

    #: The model's name, ``get_config()["name"]``: set it in the class body, or leave
    #: it unset and the class takes the name it is registered under.
    name = _NAME
    #: Whether ``corrupt`` needs the images (``corrupt(y, k, rng, images)``).
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
        k = check_num_classes(num_classes)
        y = check_labels(labels, k).copy()  # our own copy: the result is made read-only
        self.check_classes(k)
        extra = ()
        if self.needs_images:
            extra = (_check_images(images, y.shape[0], self.name or type(self).__name__),)
        rng, int_seed = _generator(seed)
        state = copy.deepcopy(rng.bit_generator.state)
        noisy, true = _corrupted(*self.corrupt(y, k, rng, *extra), y, k, type(self).__name__)
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

        For additive models this is over all ``(1 + alpha) N`` examples.  Checks
        ``num_classes`` (and :meth:`check_classes`), then returns
        :meth:`compute_expected_transition`.
        """
        k = check_num_classes(num_classes)
        self.check_classes(k)
        return self.compute_expected_transition(k)

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

    # ------------------------------------------------------------------ hooks

    def corrupt(self, y: np.ndarray, k: int, rng: np.random.Generator):
        """The hook that draws the noise: ``(noisy, true)`` for the labels ``y``.

        Called by :meth:`apply` with the validated labels (a fresh ``int64`` array of
        shape ``(N,)``, values in ``[0, k)``), ``k`` classes (after
        :meth:`check_classes`) and the NumPy generator ``rng``, the only source of
        randomness a model may draw from.  A model with ``needs_images`` is called as
        ``corrupt(y, k, rng, images)`` with the N images, as given (treat them as
        read-only).

        Returns:
            ``(noisy, true)``, 1-D integer arrays of one length, at least N: the noisy
            label and the true class of each example.  A replacement model returns
            ``(noisy, y)``; an additive one ``(1 + alpha) N`` entries whose first N
            are ``y`` (true class ``-1`` for an image that belongs to no class), and
            sets ``alpha`` (and ``source``, where the extra images come from) as
            attributes.  ``apply`` checks both arrays.
        """
        raise NotImplementedError

    def compute_expected_transition(self, k: int) -> np.ndarray:
        """The hook behind :meth:`expected_transition`: the K x K matrix ``P(noisy = j
        | true = i)`` the model draws from, for ``k`` classes (already checked, and
        :meth:`check_classes` called).  Optional: a model that does not implement it
        has no expected transition (``NotImplementedError``); ``apply`` reports the
        realised one either way."""
        raise NotImplementedError

    def check_classes(self, k: int) -> None:
        """The hook that checks the parameters against ``k`` classes: raise
        ``ValueError`` if they do not fit (a class map naming class 12 of 10).  Called
        by :meth:`apply` and :meth:`expected_transition` before the other hooks; the
        default accepts any ``k``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):  # its name is its base's, or the registered one
            cls.name = _NAME


def sample_rows(matrix: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def check_registered(name: str, model: Any) -> type[NoiseModel]:
    """The noise registry's check of a class registered (or installed) as ``name``.

    A noise model is a :class:`NoiseModel` subclass with its own ``corrupt`` and
    ``get_config``.  A class that declares no ``name`` of its own takes ``name``: it is
    recorded beside the class (:attr:`NoiseModel.name` reads it), and the class itself
    is left as it was.

    Returns:
        ``model``.

    Raises:
        TypeError: not such a subclass.
        ValueError: the class declares another name, or was registered under another
            name before (its ``get_config()["name"]`` must be the registered name).
    """
    if not (isinstance(model, type) and issubclass(model, NoiseModel)):
        raise TypeError(
            f"a noise model must be a kerasnoise.noise.NoiseModel subclass, got {model!r} "
            f"for {name!r}"
        )
    missing = [m for m in ("corrupt", "get_config") if getattr(model, m) is getattr(NoiseModel, m)]
    if missing:
        raise TypeError(f"noise model {model.__name__} must implement {' and '.join(missing)}")
    declared = vars(model).get("name")
    if not isinstance(declared, str):
        declared = _NAME.registered.setdefault(model, name)
    if declared != name:
        raise ValueError(
            f"noise model {model.__name__} is named {declared!r} but registered as {name!r}: "
            "its get_config()['name'] must be the registered name (or leave name unset)"
        )
    return model
