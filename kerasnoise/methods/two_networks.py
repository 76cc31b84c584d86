"""Co-teaching, Co-teaching+ and JoCoR as one Keras model: two networks trained side by
side, each on the small-loss examples the other picked (:class:`CoTeaching`), or both
on the small-loss examples of their joint loss (:class:`JoCoR`, the same model with its
own ``compute_loss``).

:class:`CoTeaching` holds both networks.  In training its ``call`` returns both
networks' logits, ``(B, 2, K)``, and :meth:`CoTeaching.compute_loss` applies the
per-batch rule of :func:`kerasnoise.methods.selection.coteaching_losses` to them; everywhere
else (``predict``, ``evaluate``, the validation loss, the test accuracy) the model *is*
network 1 and returns its ``(B, K)`` logits.  No backend has its own ``train_step``:
``keras.Model``'s does the rest, on TensorFlow, JAX and PyTorch.

The loss is ``loss_1 + loss_2``; network ``i``'s weights reach only ``loss_i`` (the
picks are made without gradient), so one optimizer over both networks gives each the
update it would get from its own optimizer of the same kind (Adam, SGD, Adagrad keep a
state per weight).  Gradient clipping by the *global* norm is the one exception: it
would clip the two networks together (:func:`kerasnoise.methods.selection.check_config`).

Training labels are ``(B,)`` class indices or ``(B, 2)`` pairs ``[label, clean]``
(``kerasnoise.pipelines.TrainPipeline(clean_flags=True)``), where ``clean`` is 1 when the
label is right: with them the history has each network's **label precision**
(``label_precision_1``/``_2``: the share of right labels among the examples the
network picked, averaged over the epoch's batches, the authors' "pure ratio").
``accuracy`` and ``accuracy_2`` are the networks' accuracies on the given labels.

The forget rate of the epoch and Co-teaching+'s switch from plain Co-teaching to
picking among disagreements are two non-trainable weights of the model, set at the
start of every epoch by :class:`SelectionSchedule` (so they are saved with the model
and a resumed run continues with them); :class:`SecondNetworkEvaluation` adds
network 2's test accuracy to the epoch's logs.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kerasnoise.methods import jocor, selection

__all__ = [
    "CoTeaching",
    "JoCoR",
    "SelectionSchedule",
    "SecondNetworkEvaluation",
    "networks_config",
    "with_networks",
    "with_weight_decay",
]

#: Metrics of the training step only (evaluation scores network 1 alone).
_TRAINING_ONLY = ("accuracy_2", "label_precision_1", "label_precision_2")


def _split(y):
    """``(labels, clean)`` from ``(B,)`` labels or ``(B, 2)`` ``[label, clean]`` pairs."""
    if y is not None and len(y.shape) == 2:
        return y[:, 0], ops.cast(y[:, 1], "bool")
    return y, None


def with_weight_decay(model: keras.Model, loss):
    """``loss`` plus the weight decay its networks add to ``model.losses``: what
    ``keras.Model.compute_loss`` adds, for a model whose ``compute_loss`` is its own."""
    for extra in model.losses:
        loss = loss + model._aggregate_additional_loss(extra)
    return loss


def networks_config(model: keras.Model) -> dict:
    """The part of a two-network model's ``get_config`` every such model shares: its
    name, ``trainable`` and both networks, serialized."""
    return {
        "name": model.name,
        "trainable": model.trainable,
        "network_1": keras.saving.serialize_keras_object(model.network_1),
        "network_2": keras.saving.serialize_keras_object(model.network_2),
    }


def with_networks(config: dict, custom_objects=None) -> dict:
    """A two-network model's config with both networks deserialized (``from_config``)."""
    config = dict(config)
    for key in ("network_1", "network_2"):
        config[key] = keras.saving.deserialize_keras_object(
            config[key], custom_objects=custom_objects
        )
    return config


@keras.saving.register_keras_serializable(package="kerasnoise")
class CoTeaching(keras.Model):
    """Two networks trained by Co-teaching (Han et al., NeurIPS 2018) or Co-teaching+
    (Yu et al., ICML 2019).

    Per batch, each network ranks its own cross-entropy ``l_i`` on the given labels and
    picks its ``floor((1 - forget) * n)`` smallest among ``n`` candidates (every
    example; for Co-teaching+ the examples whose predicted classes differ); network 1
    minimises the mean of ``l_1`` over network 2's picks and network 2 the mean of
    ``l_2`` over network 1's.  See :mod:`kerasnoise.methods.selection` for where this differs
    from the authors' code.

    Args:
        network_1, network_2: two Keras models of the same inputs and classes, with
            their own weights (start them from different initialisations).
        plus: Co-teaching+ (from the epoch :class:`SelectionSchedule` switches it on).
        fallback_steps: Co-teaching+: during its first ``fallback_steps`` updates, a
            batch on which the two networks agree everywhere trains both on all its
            examples (the authors' code: 5,000); after, such a batch trains neither.
        softmax_twice: rank and train on the cross-entropy of the *softmax outputs*
            taken as logits, as the Co-teaching+ code does (``F.cross_entropy`` of
            ``F.softmax(logits)``): a bounded loss; default the plain cross-entropy.
        authors_code: the Co-teaching+ code's weighting: a kept count of 0 keeps
            every candidate, each kept example weighs ``1 / k**2`` (``k`` kept; a
            fallback batch its mean) (:func:`kerasnoise.methods.selection.coteaching_losses`).

    ``sample_weight`` is not used by the selection step.
    """

    def __init__(
        self,
        network_1,
        network_2,
        plus: bool = False,
        fallback_steps: int = 0,
        softmax_twice: bool = False,
        authors_code: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if network_1 is network_2:
            raise ValueError("network_1 and network_2 must be two networks, not one twice")
        self.network_1 = network_1
        self.network_2 = network_2
        self.plus = bool(plus)
        self.fallback_steps = int(fallback_steps)
        self.softmax_twice = bool(softmax_twice)
        self.authors_code = bool(authors_code)
        self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False, name="steps")
        self.forget_rate = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="forget_rate"
        )
        self.disagreement = self.add_weight(
            shape=(),
            initializer="ones" if self.plus else "zeros",
            trainable=False,
            name="disagreement",
        )
        self.accuracy_2 = keras.metrics.SparseCategoricalAccuracy(name="accuracy_2")
        self.precision_1 = keras.metrics.Mean(name="label_precision_1")
        self.precision_2 = keras.metrics.Mean(name="label_precision_2")
        self.built = True

    def call(self, inputs, training=False):
        logits_1 = self.network_1(inputs, training=training)
        if not training:
            return logits_1
        return ops.stack([logits_1, self.network_2(inputs, training=training)], axis=1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels, clean = _split(y)
        if len(y_pred.shape) == 2:  # evaluation: network 1 with the compiled loss
            return super().compute_loss(x, labels, y_pred, sample_weight, training=training)
        y_pred = ops.cast(y_pred, "float32")
        if self.softmax_twice:  # the Co-teaching+ code's F.cross_entropy(F.softmax(logits))
            y_pred = ops.softmax(y_pred, axis=-1)
        out = selection.coteaching_losses(
            y_pred[:, 0],
            y_pred[:, 1],
            labels,
            self.forget_rate,
            plus=self.disagreement if self.plus else False,
            clean=clean,
            fallback=ops.less(self.steps, float(self.fallback_steps)) if self.plus else False,
            authors_code=self.authors_code,
        )
        self.steps.assign_add(1.0)
        if clean is not None:
            self.precision_1.update_state(out["precision_1"])
            self.precision_2.update_state(out["precision_2"])
        return with_weight_decay(self, out["loss_1"] + out["loss_2"])

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        labels, clean = _split(y)
        training = len(y_pred.shape) == 3
        if training:
            self.accuracy_2.update_state(labels, y_pred[:, 1], sample_weight)
            y_pred = y_pred[:, 0]
        result = super().compute_metrics(x, labels, y_pred, sample_weight)
        dropped = _TRAINING_ONLY if not training else _TRAINING_ONLY[1:] if clean is None else ()
        return {k: v for k, v in result.items() if k not in dropped}

    def get_config(self) -> dict:
        return {
            **networks_config(self),
            "plus": self.plus,
            "fallback_steps": self.fallback_steps,
            "softmax_twice": self.softmax_twice,
            "authors_code": self.authors_code,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> CoTeaching:
        return cls(**with_networks(config, custom_objects))


@keras.saving.register_keras_serializable(package="kerasnoise")
class JoCoR(CoTeaching):
    """Two networks trained by JoCoR (Wei et al., CVPR 2020): per batch, the
    ``floor((1 - forget) * B)`` examples of smallest joint loss (both networks'
    cross-entropies and the symmetric KL between their predictions,
    :func:`kerasnoise.methods.jocor.jocor_losses`) are kept, and both networks minimise
    the mean joint loss over them with one optimizer.

    The same model as :class:`CoTeaching` otherwise (``call``, the metrics, network 1
    outside training, the ``forget_rate`` and ``steps`` weights that
    :class:`SelectionSchedule` and the checkpoint use, saving); its history's
    ``label_precision_1`` and ``label_precision_2`` are both the kept set's.

    Args:
        network_1, network_2: two Keras models of the same inputs and classes, with
            their own weights.
        co_lambda: lambda in [0, 1], the weight of the co-regularisation.
    """

    def __init__(self, network_1, network_2, co_lambda: float = 0.9, **kwargs):
        super().__init__(network_1, network_2, **kwargs)
        co_lambda = float(co_lambda)
        if not 0 <= co_lambda <= 1:
            raise ValueError(f"co_lambda must be in [0, 1], got {co_lambda!r}")
        self.co_lambda = co_lambda

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels, clean = _split(y)
        if len(y_pred.shape) == 2:  # evaluation: network 1 with the compiled loss
            return keras.Model.compute_loss(
                self, x, labels, y_pred, sample_weight, training=training
            )
        y_pred = ops.cast(y_pred, "float32")
        out = jocor.jocor_losses(
            y_pred[:, 0], y_pred[:, 1], labels, self.forget_rate, self.co_lambda, clean=clean
        )
        self.steps.assign_add(1.0)
        if clean is not None:  # one selection: the authors' code returns its ratio twice
            self.precision_1.update_state(out["precision"])
            self.precision_2.update_state(out["precision"])
        return with_weight_decay(self, out["loss"])

    def get_config(self) -> dict:
        return {
            **networks_config(self),
            "co_lambda": self.co_lambda,
        }


class SelectionSchedule(keras.callbacks.Callback):
    """Sets a :class:`CoTeaching` (or :class:`JoCoR`) model's forget rate at the start of
    every epoch, and Co-teaching+'s switch to picking among disagreements from epoch
    ``init_epoch`` on; logs the epoch's ``forget_rate``.

    Args:
        forget_rates: the rate of each epoch
            (:func:`kerasnoise.methods.selection.forget_rate_schedule`); epochs past its
            end keep its last value.
        init_epoch: Co-teaching+'s epochs of plain Co-teaching first (0 on MNIST).
    """

    def __init__(self, forget_rates: Any, init_epoch: int = 0):
        super().__init__()
        self.forget_rates = np.asarray(forget_rates, dtype=np.float64)
        self.init_epoch = int(init_epoch)
        self._rate = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._rate = float(self.forget_rates[min(epoch, len(self.forget_rates) - 1)])
        self.model.forget_rate.assign(self._rate)
        if self.model.plus:
            self.model.disagreement.assign(1.0 if epoch >= self.init_epoch else 0.0)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["forget_rate"] = self._rate


class SecondNetworkEvaluation(keras.callbacks.Callback):
    """Adds ``test_accuracy_2``, network 2's accuracy on the test set, to each epoch's
    logs (network 1's is ``test_accuracy``)."""

    def __init__(self, test, y_test: np.ndarray):
        super().__init__()
        self.test, self.y_test = test, np.asarray(y_test)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or not np.isfinite(logs.get("loss", 0.0)):
            return
        predicted = np.argmax(self.model.network_2.predict(self.test, verbose=0), axis=-1)
        logs["test_accuracy_2"] = float(np.mean(predicted == self.y_test))
