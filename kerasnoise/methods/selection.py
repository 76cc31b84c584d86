"""Sample selection: Co-teaching (Han et al., NeurIPS 2018) and Co-teaching+ (Yu et al.,
ICML 2019), the per-batch rule and the forget-rate schedule, in ``keras.ops``.

Two networks see the same batch.  Each ranks its own per-example cross-entropy and
picks its ``(1 - forget) * B`` smallest; network 1 is updated on the examples network
2 picked, and network 2 on network 1's (:func:`coteaching_losses`).  Co-teaching+
first keeps only the examples on which the two networks' predicted classes disagree,
then picks ``(1 - forget)`` of those the same way (``plus=True``).

Label precision (the authors' "pure ratio") is the share of truly clean labels among
the examples a network picked.

Where this differs from the authors' code (``coteaching_plus/loss.py``):

- the cross-entropy is computed from the logits; their Co-teaching+ loss applies
  ``F.cross_entropy`` to softmax outputs (a second softmax: a bounded loss, between
  ``log(1 + (K - 1) / e)`` for a sure right prediction and ``log(e + K - 1)`` for a sure
  wrong one, 1.46 and 2.46 for K = 10); ``method.softmax_twice`` does the same
  (:class:`kerasnoise.methods.two_networks.CoTeaching`'s ``softmax_twice``);
- a Co-teaching+ batch on which the networks agree everywhere trains both networks on
  all its examples during the first ``fallback_steps`` updates (the authors' code: 5,000
  steps) and updates neither after (loss 0); without that rule two fresh networks that
  predict the same class everywhere never train (measured: both stuck at 10 % test
  accuracy on MNIST).  Their code compares ``epoch * i`` (``i`` the batch's index in
  its epoch) with 5,000, not the step count, so there the rule holds for the first
  ``5000 / epoch`` batches of every epoch to the end (26 batches in epoch 199); here it
  counts updates;
- their disagreement indices drop the example whose dataset index is 0 (``i != 0``);
  here every example counts;
- the number kept, ``int((1 - forget) * n)``, is computed as exact arithmetic would:
  their float64 can fall one short (``(1 - 0.9) * 40`` gives 3, here 4);
- when ``int((1 - forget) * n)`` is 0 (few disagreements), their code trains on all
  ``n`` candidates; here on none;
- their loss is ``F.cross_entropy`` (a mean over the ``k`` kept examples) divided again
  by ``k``: each kept example weighs ``1 / k**2``, while a fallback batch (no
  disagreement) weighs each example ``1 / B``; here every kept example weighs ``1 / k``.

``method.authors_code=True`` (Co-teaching+) does the last two as their code does and
applies the double softmax (``softmax_twice``): the mode that reproduces their published
MNIST numbers.  What stays different in that mode: the fallback counts updates (not
``epoch * i``), and example 0 is not dropped from the disagreements.

The forget rate (``method.forget_rate``) is a number, or a rule: ``None`` and
``"nominal"`` take the noise's nominal ``rate`` (the Co-teaching and Co-teaching+ code);
``"asymmetric_half"`` halves it for ``noise=asymmetric`` (JoCoR's code, the source of
the published "asymmetric 0.4" MNIST numbers: its class flips touch 5 of 10 classes, so
about half the nominal rate of the labels is wrong); ``"realised"`` takes the share of
wrong training labels the noise actually drew.  All three are oracles a user of real
noisy data lacks.

References: Han, Yao, Yu, Niu, Xu, Hu, Tsang, Sugiyama, "Co-teaching: Robust training
of deep neural networks with extremely noisy labels", NeurIPS 2018; Yu, Han, Yao, Niu,
Tsang, Sugiyama, "How does disagreement help generalization against label
corruption?", ICML 2019.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "METHODS",
    "check_config",
    "check_forget_rate",
    "clean_share",
    "coteaching_losses",
    "forget_rate_schedule",
    "identity",
    "per_example_cross_entropy",
    "pick_smallest",
    "resolve_forget_rate",
    "resolved",
    "FORGET_RATE_RULES",
]

#: The rules ``method.forget_rate`` may name instead of a number (None is "nominal").
FORGET_RATE_RULES = ("nominal", "asymmetric_half", "realised")
#: The selection methods (:mod:`kerasnoise.methods.coteaching`), with their parameters
#: and defaults (``forget_rate`` None: the noise's nominal ``rate``, an oracle).
METHODS = {
    "coteaching": {"forget_rate": None, "num_gradual": 10, "exponent": 1.0, "softmax_twice": False},
    "coteaching_plus": {
        "forget_rate": None,
        "num_gradual": 10,
        "exponent": 1.0,
        "init_epoch": 0,
        "fallback_steps": 5000,
        "softmax_twice": False,
        "authors_code": False,
    },
}
#: The losses a selection method trains with: it ranks and trains on cross-entropy.
LOSSES = ("ce",)


def check_forget_rate(value: Any, name: str = "method.forget_rate") -> float:
    """A forget rate in [0, 1), or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def resolved(selection: dict, noise: dict, realised_rate: float | None = None) -> dict:
    """``selection`` with every parameter set: the method's defaults filled in and a
    ``forget_rate`` rule (None, ``"nominal"``, ``"asymmetric_half"``, ``"realised"``; see
    the module docstring) replaced by its number, and ``softmax_twice`` True under
    ``authors_code``.  ``"realised"`` needs ``realised_rate``, the share of wrong training
    labels (known once the noise is drawn); without it the rule stays a name.  Checks as
    :func:`check_config`."""
    if not isinstance(selection, dict) or "name" not in selection:
        raise TypeError(f"selection must be a dict with a 'name' key, got {selection!r}")
    name = selection["name"]
    if name not in METHODS:
        raise ValueError(f"method.name must be one of {', '.join(METHODS)}; got {name!r}")
    unknown = sorted(set(selection) - {"name", *METHODS[name]})
    if unknown:
        allowed = ", ".join(METHODS[name])
        raise ValueError(
            f"unknown parameter method.{unknown[0]} for method {name!r}; allowed: {allowed}"
        )
    out = {"name": name, **METHODS[name], **{k: v for k, v in selection.items() if k != "name"}}
    out["forget_rate"] = _forget_rate(out["forget_rate"], noise, realised_rate)
    _check_int(out["num_gradual"], "method.num_gradual", 1)
    for flag in ("softmax_twice", "authors_code"):
        if flag in out and not isinstance(out[flag], bool):
            raise TypeError(f"method.{flag} must be True or False, got {out[flag]!r}")
    if out.get("authors_code"):
        if selection.get("softmax_twice") is False:
            raise ValueError(
                "method.authors_code=True is the Co-teaching+ code's loss, which takes "
                "the softmax twice: leave method.softmax_twice unset (or True)"
            )
        out["softmax_twice"] = True
    exponent = out["exponent"]
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or exponent <= 0:
        raise ValueError(f"method.exponent must be a number > 0, got {exponent!r}")
    if name == "coteaching_plus":
        _check_int(out["init_epoch"], "method.init_epoch", 0)
        _check_int(out["fallback_steps"], "method.fallback_steps", 0)
    return out


def resolve_forget_rate(value: Any, noise: dict, realised_rate: float | None = None) -> float | str:
    """The forget rate a ``method.forget_rate`` value means under ``noise``: a number in
    [0, 1) as it is, a rule (None, ``"nominal"``, ``"asymmetric_half"``, ``"realised"``;
    see the module docstring) by its definition; ``"realised"`` stays a name without
    ``realised_rate``.  Raises ``ValueError`` naming ``method.forget_rate``.  Every
    method with a forget rate reads it so (Co-teaching, Co-teaching+, JoCoR)."""
    return _forget_rate(value, noise, realised_rate)


def _forget_rate(value: Any, noise: dict, realised_rate: float | None) -> float | str:
    """The forget rate a ``method.forget_rate`` value means for ``noise``: a number
    as it is, a rule by its definition (``"realised"`` stays a name without
    ``realised_rate``)."""
    if value is not None and not isinstance(value, str):
        return check_forget_rate(value)
    rule = "nominal" if value is None else value
    if rule not in FORGET_RATE_RULES:
        raise ValueError(
            f"method.forget_rate must be a number in [0, 1) or one of "
            f"{', '.join(FORGET_RATE_RULES)}; got {value!r}"
        )
    if rule == "realised":
        return rule if realised_rate is None else check_forget_rate(float(realised_rate))
    rate = noise.get("rate") if isinstance(noise, dict) else None
    if rate is None:
        raise ValueError(
            f"method.forget_rate={rule!r}: the noise {noise} has no nominal 'rate' to "
            "forget; set method.forget_rate to a number in [0, 1) or 'realised'"
        )
    halve = rule == "asymmetric_half" and noise.get("name") == "asymmetric"
    return check_forget_rate(rate / 2 if halve else rate)


def identity(selection: dict, noise: dict) -> dict:
    """The part of ``selection`` that names a run (its run id): as written, less a
    ``forget_rate`` rule that gives the nominal rate under this ``noise`` (the default
    rule), so that ``forget_rate="asymmetric_half"`` under symmetric noise is the same
    run as no ``forget_rate`` at all."""
    rule = selection.get("forget_rate") if isinstance(selection, dict) else None
    if rule not in ("nominal", "asymmetric_half") or selection.get("name") not in METHODS:
        return selection
    try:
        same = _forget_rate(rule, noise, None) == _forget_rate(None, noise, None)
    except ValueError:
        return selection
    return {k: v for k, v in selection.items() if k != "forget_rate"} if same else selection


def check_config(
    selection: dict, noise: dict, loss: dict, distribution: str, global_clipnorm=None
) -> None:
    """Check a config's ``selection`` against its noise, loss, distribution and gradient
    clipping; raise ``ValueError``/``TypeError`` naming the key and the allowed values."""
    method = resolved(selection, noise)["name"]
    if not isinstance(loss, dict) or loss.get("name") not in LOSSES:
        name = loss.get("name") if isinstance(loss, dict) else loss
        raise ValueError(
            f"method {method!r} ranks and trains on cross-entropy: loss must be one of "
            f"{', '.join(LOSSES)}, got {name!r}"
        )
    if distribution != "none":
        raise ValueError(
            f"method {method!r} ranks the examples of the whole batch, which "
            f"distribution={distribution!r} splits across devices: use distribution='none'"
        )
    if global_clipnorm is not None:
        raise ValueError(
            f"method {method!r} trains two networks with one optimizer, and "
            "optimizer.global_clipnorm would clip their gradients together: use "
            "optimizer.clipnorm (per variable) or no clipping"
        )


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def forget_rate_schedule(
    epochs: int, forget_rate: float, num_gradual: int = 10, exponent: float = 1.0
) -> np.ndarray:
    """The forget rate of each training epoch ``0 .. epochs - 1``, as the authors' code
    runs it.

    Their code builds ``R = [tau] * n; R[:T_k] = linspace(0, tau ** c, T_k)`` and trains
    its epochs ``1 .. n - 1`` with ``R[epoch]`` (its epoch 0 only evaluates), so the
    first training epoch already forgets ``tau ** c / (T_k - 1)`` and the rate reaches
    ``tau ** c`` in training epoch ``T_k - 2``; here epoch ``e`` uses ``R[e + 1]``.  The
    paper writes ``R(T) = tau * min(T / T_k, 1)`` (``exponent`` 1).

    Args:
        epochs: training epochs (>= 1).
        forget_rate: tau, in [0, 1): the share of each batch left out once ramped up.
        num_gradual: T_k (>= 1), the epochs of the linear ramp.
        exponent: c (> 0): the ramp ends at ``tau ** c``.
    """
    tau = check_forget_rate(forget_rate)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    _check_int(num_gradual, "method.num_gradual", 1)
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or exponent <= 0:
        raise ValueError(f"method.exponent must be a number > 0, got {exponent!r}")
    plan = np.full(epochs + 1, tau)
    ramp = np.linspace(0.0, tau**exponent, num_gradual)
    plan[: min(num_gradual, epochs + 1)] = ramp[: epochs + 1]
    return plan[1:]


def per_example_cross_entropy(labels, logits):
    """``-log_softmax(logits)[label]`` per example.  Not Keras's
    ``sparse_categorical_crossentropy``: on TensorFlow it reads a tensor made by
    ``ops.softmax`` as that softmax's own inputs (its ``_keras_logits``), which would
    undo the Co-teaching+ code's second softmax when probabilities come in as logits."""
    from keras import ops

    log_p = ops.log_softmax(logits, axis=-1)
    return -ops.take_along_axis(log_p, ops.expand_dims(labels, -1), axis=-1)[:, 0]


def _ranks(values):
    """Each entry's position in ascending order (0 = smallest), ties by position."""
    from keras import ops

    return ops.argsort(ops.argsort(values))


def pick_smallest(losses, candidates, keep):
    """The ``keep`` smallest ``losses`` among ``candidates`` (a boolean mask)."""
    from keras import ops

    masked = ops.where(candidates, losses, ops.full_like(losses, np.inf))
    return ops.logical_and(ops.less(_ranks(masked), keep), candidates)


def clean_share(mask, clean):
    """The share of ``clean`` entries among ``mask``'s (0 when ``mask`` is empty)."""
    from keras import ops

    mask = ops.cast(mask, "float32")
    picked = ops.sum(mask)
    return ops.sum(mask * ops.cast(clean, "float32")) / ops.maximum(picked, 1.0)


def coteaching_losses(
    logits_1,
    logits_2,
    labels,
    forget_rate,
    *,
    plus: bool = False,
    clean=None,
    fallback=False,
    authors_code: bool = False,
) -> dict:
    """One batch of Co-teaching (or Co-teaching+ with ``plus``).

    Args:
        logits_1, logits_2: ``(B, K)`` outputs of the two networks.
        labels: ``(B,)`` integer labels as given (noisy).
        forget_rate: the share to leave out this epoch (a float or a scalar tensor).
        plus: Co-teaching+: pick only among the examples whose predicted classes differ
            (a bool, or a scalar tensor, true or 1 for Co-teaching+).
        clean: optional ``(B,)`` booleans, the examples whose label is right, for the
            label precision.
        fallback: Co-teaching+ only (a bool or a scalar tensor): a batch without a
            disagreement trains both networks on every example (forget rate 0) instead
            of not at all.
        authors_code: as the Co-teaching+ code's loss: a kept count of 0 keeps every
            candidate, and each kept example weighs ``1 / k**2`` for ``k`` kept (a
            fallback batch: ``1 / B``, its mean).

    Returns:
        ``loss_1`` and ``loss_2`` (each network's mean cross-entropy over the examples
        the *other* network picked, or with ``authors_code`` that mean divided again by
        their number; 0 when none was picked), ``picked_1`` and
        ``picked_2`` (``(B,)`` booleans: each network's own small-loss picks) and, with
        ``clean``, ``precision_1`` and ``precision_2`` (the clean share of each pick).
    """
    from keras import ops

    labels = ops.cast(labels, "int32")
    ce_1 = per_example_cross_entropy(labels, logits_1)
    ce_2 = per_example_cross_entropy(labels, logits_2)
    ranked_1, ranked_2 = ops.stop_gradient(ce_1), ops.stop_gradient(ce_2)
    everyone = ops.ones_like(labels, dtype="bool")
    everything = False  # a fallback batch: no disagreement, every example trained
    if plus is False:
        candidates = everyone
    else:
        disagree = ops.not_equal(ops.argmax(logits_1, axis=-1), ops.argmax(logits_2, axis=-1))
        # a scalar tensor switches per epoch (Co-teaching+ after its ``init_epoch``)
        switch = plus if plus is True else ops.cast(plus, "bool")
        candidates = ops.where(switch, disagree, everyone)
        if fallback is not False:
            nothing = ops.logical_and(switch, ops.logical_not(ops.any(disagree)))
            everything = ops.logical_and(nothing, ops.cast(fallback, "bool"))
            candidates = ops.where(everything, everyone, candidates)
            forget_rate = ops.where(everything, 0.0, ops.cast(forget_rate, "float32"))
    count = ops.sum(ops.cast(candidates, "float32"))
    # floor((1 - forget) * n) as exact arithmetic gives it: float32 lands just below a
    # whole number (0.7 * 10 = 6.9999995), hence the margin, far below the 1/1000 steps
    # (1 - forget) * n takes for a batch of <= 1024 and a rate of 3 decimals.  (The
    # authors' float64 can fall one short too: (1 - 0.9) * 40 = 3.9999999999999996 -> 3.)
    keep = ops.cast(ops.floor((1.0 - ops.cast(forget_rate, "float32")) * count + 5e-4), "int32")
    if authors_code:  # their code trains on every candidate when it would keep none
        keep = ops.where(ops.equal(keep, 0), ops.cast(count, "int32"), keep)
    picked_1 = pick_smallest(ranked_1, candidates, keep)
    picked_2 = pick_smallest(ranked_2, candidates, keep)
    denominator = ops.maximum(ops.cast(keep, "float32"), 1.0)
    if authors_code:  # their mean over the k kept, divided again by k (not a fallback batch)
        squared = denominator * denominator
        if everything is False:
            denominator = squared
        else:
            denominator = ops.where(everything, denominator, squared)
    out = {
        "loss_1": ops.sum(ce_1 * ops.cast(picked_2, ce_1.dtype)) / denominator,
        "loss_2": ops.sum(ce_2 * ops.cast(picked_1, ce_2.dtype)) / denominator,
        "picked_1": picked_1,
        "picked_2": picked_2,
    }
    if clean is not None:
        out["precision_1"] = clean_share(picked_1, clean)
        out["precision_2"] = clean_share(picked_2, clean)
    return out
