"""DivideMix's per-batch rule (Li, Socher, Hoi, ICLR 2020), in ``keras.ops``.

One network's semi-supervised step on the other network's division, as the authors'
``Train_cifar.py`` ``train()`` computes it (``LiJunnan1992/DivideMix`` @ d9d3058):

1. **label refinement** of the labelled batch: ``px`` = the mean of the training
   network's softmax over the two augmented views, ``px = w * y + (1 - w) * px`` with
   ``w`` the example's clean probability and ``y`` its one-hot noisy label, sharpened
   (:func:`sharpen`, temperature ``T``);
2. **co-guessing** of the unlabelled batch: the mean of four softmaxes (both networks,
   two views), sharpened;
3. **MixMatch**: ``l ~ Beta(alpha, alpha)``, ``l = max(l, 1 - l)``, the inputs
   ``[x1, x2, u1, u2]`` and their targets mixed with a random permutation of themselves;
4. the loss ``Lx + lambda_u * Lu + penalty``: ``Lx`` the cross-entropy of the mixed
   labelled half against its mixed targets, ``Lu`` the mean squared error of the mixed
   unlabelled half's softmax (over examples and classes), ``lambda_u`` ramped linearly
   over 16 epochs after the warm-up (:func:`ramp`), and the uniform-prior penalty
   ``sum_c pi_c log(pi_c / mean softmax_c)`` over the whole mixed batch
   (:func:`prior_penalty`).

The targets are computed without gradient (the authors' ``torch.no_grad()``); the
other network is called in inference mode, the training network in training mode
(their ``net.train(); net2.eval()``).  ``l`` and the permutation are arguments, so a
test can fix them; :class:`kerasnoise.methods.dividemix_model.DivideMix` draws them
with ``keras.random`` from a seed generator of its own.  During the warm-up the
networks train on plain cross-entropy, plus :func:`negative_entropy` under asymmetric
noise (their ``NegEntropy``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import keras
from keras import ops

__all__ = [
    "RAMPUP_EPOCHS",
    "beta_sample",
    "dividemix_loss",
    "mix",
    "negative_entropy",
    "prior_penalty",
    "ramp",
    "semi_loss",
    "sharpen",
]

#: The epochs of lambda_u's linear ramp after the warm-up (the authors' ``rampup_length``).
RAMPUP_EPOCHS = 16


def sharpen(p, temperature: float):
    """``p ** (1 / T)`` renormalised over the classes (the last axis)."""
    pt = ops.power(p, 1.0 / temperature)
    return pt / ops.sum(pt, axis=-1, keepdims=True)


def ramp(current, warm_up: float, lambda_u: float, length: float = RAMPUP_EPOCHS):
    """``lambda_u * clip((current - warm_up) / length, 0, 1)``: the weight of ``Lu`` at
    ``current`` = epoch + step / steps (the authors' ``linear_rampup``)."""
    return lambda_u * ops.clip((current - warm_up) / length, 0.0, 1.0)


def semi_loss(logits_x, targets_x, logits_u, targets_u):
    """``(Lx, Lu)``: the labelled half's cross-entropy against soft targets, averaged over
    examples, and the unlabelled half's mean squared softmax error over examples and
    classes (the authors' ``SemiLoss``)."""
    lx = -ops.mean(ops.sum(ops.log_softmax(logits_x, axis=-1) * targets_x, axis=-1))
    lu = ops.mean(ops.square(ops.softmax(logits_u, axis=-1) - targets_u))
    return lx, lu


def prior_penalty(logits):
    """``sum_c pi_c log(pi_c / mean_b softmax_bc)`` with ``pi`` uniform: keeps the batch's
    mean prediction near uniform."""
    classes = ops.shape(logits)[-1]
    prior = 1.0 / ops.cast(classes, logits.dtype)
    mean = ops.mean(ops.softmax(logits, axis=-1), axis=0)
    return ops.sum(prior * ops.log(prior / mean))


def negative_entropy(logits):
    """``mean_b sum_c p log p``: the warm-up's penalty on confident predictions under
    asymmetric noise (the authors' ``NegEntropy``)."""
    p = ops.softmax(logits, axis=-1)
    return ops.mean(ops.sum(ops.log(p) * p, axis=-1))


def _gamma_sample(shape: float, count: int, seed, candidates: int):
    """``count`` draws of Gamma(shape, 1) by Marsaglia and Tsang's method (2000), each the
    first accepted of ``candidates`` proposals (for shape >= 1 at least 95 % are
    accepted); shape < 1 by ``Gamma(shape + 1) * U ** (1 / shape)``."""
    boost = shape < 1
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    c = 1.0 / (9.0 * d) ** 0.5
    x = keras.random.normal((count, candidates), seed=seed)
    u = keras.random.uniform((count, candidates), seed=seed)
    v = ops.power(1.0 + c * x, 3)
    positive = v > 0
    safe_v = ops.where(positive, v, 1.0)
    accept = ops.logical_and(
        positive, ops.log(u) < 0.5 * ops.square(x) + d - d * safe_v + d * ops.log(safe_v)
    )
    first = ops.argmax(ops.cast(accept, "int32"), axis=1)
    value = d * ops.take_along_axis(safe_v, ops.expand_dims(first, 1), axis=1)[:, 0]
    value = ops.where(ops.any(accept, axis=1), value, d)  # none accepted: about 1e-40
    if boost:
        value = value * ops.power(keras.random.uniform((count,), seed=seed), 1.0 / shape)
    return value


def beta_sample(alpha: float, beta: float, count: int, seed, candidates: int = 32):
    """``count`` draws of Beta(alpha, beta) from two Gamma draws, in ``keras.ops`` and
    ``keras.random`` normals and uniforms only (``keras.random.beta`` does not compile
    under TensorFlow's XLA)."""
    g1 = _gamma_sample(float(alpha), count, seed, candidates)
    g2 = _gamma_sample(float(beta), count, seed, candidates)
    return g1 / (g1 + g2)


def mix(values, lam, perm):
    """``l * a + (1 - l) * a[perm]`` (MixMatch's mixup of the inputs, and of the targets)."""
    lam = ops.cast(lam, values.dtype)
    return lam * values + (1.0 - lam) * ops.take(values, perm, axis=0)


def dividemix_loss(
    network: Callable,
    other: Callable,
    batch: Mapping[str, Any],
    *,
    lam,
    perm,
    lambda_u,
    temperature: float = 0.5,
    logits_x1=None,
) -> dict:
    """One network's DivideMix loss on one batch.

    Args:
        network: the training network, ``network(x, training=...) -> logits``.
        other: the other network (called with ``training=False``, without gradient).
        batch: ``x1``, ``x2`` (two views of the labelled examples), ``y`` (their noisy
            labels, ``(B,)`` class indices), ``w`` (their clean probabilities,
            ``(B,)``), ``u1``, ``u2`` (two views of the unlabelled examples).
        lam: the mixup weight, already ``max(l, 1 - l)``.
        perm: a permutation of ``0 .. 2 B_x + 2 B_u - 1`` (int).
        lambda_u: ``Lu``'s weight, already ramped (:func:`ramp`).
        temperature: T of :func:`sharpen`.
        logits_x1: ``network(x1, training=True)`` if the caller has it (it is reused,
            without gradient, for the refinement).

    Returns:
        ``{"loss", "lx", "lu", "penalty", "targets_x", "targets_u"}``: ``loss`` =
        ``lx + lambda_u * lu + penalty``; only ``loss`` carries gradient, to
        ``network``'s weights alone.
    """
    x1, x2, u1, u2 = batch["x1"], batch["x2"], batch["u1"], batch["u2"]
    if logits_x1 is None:
        logits_x1 = network(x1, training=True)
    classes = ops.shape(logits_x1)[-1]

    def probs(logits):
        return ops.softmax(ops.cast(logits, "float32"), axis=-1)

    # co-guessing of the unlabelled examples: both networks, both views
    pu = (
        probs(network(u1, training=True))
        + probs(network(u2, training=True))
        + probs(other(u1, training=False))
        + probs(other(u2, training=False))
    ) / 4.0
    targets_u = ops.stop_gradient(sharpen(pu, temperature))
    # label refinement of the labelled examples: the training network's two views
    px = (probs(logits_x1) + probs(network(x2, training=True))) / 2.0
    w = ops.reshape(ops.cast(batch["w"], "float32"), (-1, 1))
    y = ops.one_hot(ops.cast(ops.reshape(batch["y"], (-1,)), "int32"), classes)
    targets_x = ops.stop_gradient(sharpen(w * y + (1.0 - w) * px, temperature))

    inputs = ops.concatenate([x1, x2, u1, u2], axis=0)
    targets = ops.concatenate([targets_x, targets_x, targets_u, targets_u], axis=0)
    mixed_inputs, mixed_targets = mix(inputs, lam, perm), mix(targets, lam, perm)
    logits = ops.cast(network(mixed_inputs, training=True), "float32")
    labelled = 2 * ops.shape(x1)[0]
    lx, lu = semi_loss(
        logits[:labelled], mixed_targets[:labelled], logits[labelled:], mixed_targets[labelled:]
    )
    penalty = prior_penalty(logits)
    return {
        "loss": lx + lambda_u * lu + penalty,
        "lx": lx,
        "lu": lu,
        "penalty": penalty,
        "targets_x": targets_x,
        "targets_u": targets_u,
    }
