"""DivideMix as one Keras model: two networks, each trained by MixMatch on the division
the other made, and the per-epoch co-divide callback.

:class:`DivideMix` holds both networks.  Its training batches are dicts from
:class:`kerasnoise.pipelines.divided.DividedPipeline`; for them ``call`` returns each
network's logits on its labelled batch's first view, ``(B, 2, K)``, and
:meth:`DivideMix.compute_loss` applies the rule of :mod:`kerasnoise.methods.mixmatch`:
during the warm-up cross-entropy on those logits (plus the negative-entropy penalty
under asymmetric noise), then network 1's MixMatch loss on network 2's division plus
network 2's on network 1's.  Everywhere else (``predict``, ``evaluate``, the validation
loss, the test accuracy) its output is the **sum of both networks' logits** (the
authors' test prediction).  No backend has its own ``train_step``.

One optimizer updates both networks: the loss is ``loss_1 + loss_2`` and network ``i``'s
weights reach only ``loss_i`` (the other network is called without gradient, the
targets are computed without gradient), so each network gets the update its own
optimizer of the same kind would give (the argument of
:class:`kerasnoise.methods.two_networks.CoTeaching`).  The authors' code instead
trains network 1 for a whole epoch, then network 2 with network 1 already updated
(docs/papers.md).

The epoch, the step within it and the epoch's step count are non-trainable weights (the
ramp of ``lambda_u`` reads them; saved with the model, so a resumed run continues); the
mixup's ``l`` and permutation come from a ``keras.random.SeedGenerator`` of the model.
Which of the two steps it takes (warm-up or MixMatch) is a Python attribute,
``warming_up``, that :class:`CoDivide` sets at the start of each epoch, rebuilding the
train function when it changes (one branch traced at a time, on every backend).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kerasnoise.methods import division, mixmatch, two_networks

__all__ = ["CoDivide", "DivideMix"]

#: Metrics of the training step only (evaluation scores the summed logits alone).
_TRAINING_ONLY = ("accuracy_2", "loss_x", "loss_u")


@keras.saving.register_keras_serializable(package="kerasnoise")
class DivideMix(keras.Model):
    """Two networks trained by DivideMix (Li, Socher, Hoi, ICLR 2020).

    Args:
        network_1, network_2: two Keras models of the same inputs and classes, with
            their own weights.
        warm_up: epochs of plain cross-entropy first.
        lambda_u: the weight of the unlabelled loss once ramped up.
        temperature: T, the sharpening temperature.
        alpha: the mixup's Beta(alpha, alpha).
        penalty: add the negative-entropy penalty to the warm-up's cross-entropy (the
            authors do under asymmetric noise).
        seed: the seed of the mixup draws.
    """

    def __init__(
        self,
        network_1,
        network_2,
        warm_up: int = 10,
        lambda_u: float = 25.0,
        temperature: float = 0.5,
        alpha: float = 4.0,
        penalty: bool = False,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if network_1 is network_2:
            raise ValueError("network_1 and network_2 must be two networks, not one twice")
        self.network_1 = network_1
        self.network_2 = network_2
        self.warm_up = int(warm_up)
        self.lambda_u = float(lambda_u)
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.penalty = bool(penalty)
        self.seed = seed
        self.warming_up = True  # which step the train function traces (CoDivide sets it)
        self.seed_generator = keras.random.SeedGenerator(seed, name="mixup_seed")
        weight = dict(shape=(), initializer="zeros", trainable=False)
        self.epoch = self.add_weight(name="epoch", **weight)
        self.step = self.add_weight(name="step", **weight)
        self.steps_per_epoch = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="steps_per_epoch"
        )
        self.accuracy_2 = keras.metrics.SparseCategoricalAccuracy(name="accuracy_2")
        self.loss_x = keras.metrics.Mean(name="loss_x")
        self.loss_u = keras.metrics.Mean(name="loss_u")
        #: the mixup draws of the next MixMatch step, ``[(lam, perm), (lam, perm)]``, to
        #: replace the random ones (tests)
        self.fixed_draws = None
        self.built = True

    def call(self, inputs, training=False):
        if isinstance(inputs, dict):  # a training step's batch: each network's first view
            return ops.stack(
                [
                    self.network_1(inputs["x1_1"], training=training),
                    self.network_2(inputs["x1_2"], training=training),
                ],
                axis=1,
            )
        return self.network_1(inputs, training=training) + self.network_2(inputs, training=training)

    def ramped_lambda_u(self):
        """``lambda_u`` at this step: ramped over 16 epochs from the end of the warm-up by
        ``epoch + step / steps_per_epoch``."""
        current = self.epoch + self.step / self.steps_per_epoch
        return mixmatch.ramp(current, float(self.warm_up), self.lambda_u)

    def draws(self, rows: int) -> tuple[Any, Any]:
        """``(l, perm)`` of one MixMatch step: ``l ~ Beta(alpha, alpha)``, ``max(l, 1 - l)``,
        and a permutation of ``rows`` rows."""
        lam = mixmatch.beta_sample(self.alpha, self.alpha, 1, self.seed_generator)[0]
        lam = ops.maximum(lam, 1.0 - lam)
        perm = keras.random.shuffle(ops.arange(rows, dtype="int32"), seed=self.seed_generator)
        return lam, perm

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(x, dict):  # evaluation: the summed logits, the compiled loss
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        y_pred = ops.cast(y_pred, "float32")
        networks = (self.network_1, self.network_2)
        loss = 0.0
        if self.warming_up:
            for i in range(2):
                labels = ops.cast(x[f"y_{i + 1}"], "int32")
                logits = y_pred[:, i]
                ce = ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
                loss = loss + ops.mean(ce)
                if self.penalty:
                    loss = loss + mixmatch.negative_entropy(logits)
        else:
            lambda_u = self.ramped_lambda_u()
            for i in range(2):
                k = i + 1
                batch = {part: x[f"{part}_{k}"] for part in ("x1", "x2", "y", "w", "u1", "u2")}
                rows = 2 * ops.shape(batch["x1"])[0] + 2 * ops.shape(batch["u1"])[0]
                if self.fixed_draws is not None:
                    lam, perm = self.fixed_draws[i]
                else:
                    lam, perm = self.draws(rows)
                out = mixmatch.dividemix_loss(
                    networks[i],
                    networks[1 - i],
                    batch,
                    lam=lam,
                    perm=perm,
                    lambda_u=lambda_u,
                    temperature=self.temperature,
                    logits_x1=y_pred[:, i],
                )
                loss = loss + out["loss"]
                self.loss_x.update_state(out["lx"])
                self.loss_u.update_state(out["lu"])
        self.step.assign_add(1.0)
        return two_networks.with_weight_decay(self, loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if not isinstance(x, dict):
            result = super().compute_metrics(x, y, y_pred, sample_weight)
            return {k: v for k, v in result.items() if k not in _TRAINING_ONLY}
        self.accuracy_2.update_state(x["y_2"], y_pred[:, 1])
        result = super().compute_metrics(x, x["y_1"], y_pred[:, 0])
        if self.warming_up:
            return {k: v for k, v in result.items() if k not in ("loss_x", "loss_u")}
        return result

    def get_config(self) -> dict:
        return {
            **two_networks.networks_config(self),
            "warm_up": self.warm_up,
            "lambda_u": self.lambda_u,
            "temperature": self.temperature,
            "alpha": self.alpha,
            "penalty": self.penalty,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> DivideMix:
        return cls(**two_networks.with_networks(config, custom_objects))


class CoDivide(keras.callbacks.Callback):
    """DivideMix's co-divide, at the start of every epoch after the warm-up: each
    network scores every training example's cross-entropy on its noisy label (inference
    mode, no augmentation), :func:`kerasnoise.methods.division.clean_probability` turns
    it into clean probabilities, and network 1 trains on network 2's division (the
    examples above ``p_threshold`` labelled), network 2 on network 1's.

    It also sets the model's epoch, step and phase (warm-up or MixMatch), and logs, after
    the warm-up, ``labelled_1``/``_2`` (the share of the training set each network
    trains on as labelled) and ``label_precision_1``/``_2`` (the share of right labels
    among them).

    Args:
        pipeline: the run's :class:`kerasnoise.pipelines.divided.DividedPipeline`.
        images: the training images with their noisy labels, in order, not augmented
            (an evaluation pipeline).
        noisy_labels: ``(N,)`` the noisy labels.
        is_noisy: ``(N,)`` whether each label is wrong (for the label precision).
        p_threshold: the clean probability above which an example is labelled.
        seed: the run's seed (the mixture's seeds derive from it).
    """

    def __init__(
        self,
        pipeline,
        images,
        noisy_labels: np.ndarray,
        is_noisy: np.ndarray,
        p_threshold: float,
        seed: int,
    ):
        super().__init__()
        self.pipeline, self.images = pipeline, images
        self.noisy_labels = np.asarray(noisy_labels)
        self.is_noisy = np.asarray(is_noisy, dtype=bool)
        self.p_threshold = float(p_threshold)
        self.seed = int(seed)
        self._logs: dict = {}

    def clean_probabilities(self, epoch: int) -> list[np.ndarray]:
        """Each network's clean probability of every training example, now."""
        out = []
        for i, network in enumerate((self.model.network_1, self.model.network_2)):
            logits = network.predict(self.images, verbose=0)
            losses = division.per_example_loss(logits, self.noisy_labels)
            out.append(division.clean_probability(losses, division.gmm_seed(self.seed, epoch, i)))
        return out

    def on_epoch_begin(self, epoch, logs=None):
        model = self.model
        warming_up = epoch < model.warm_up
        model.epoch.assign(float(epoch))
        model.step.assign(0.0)
        model.steps_per_epoch.assign(float(len(self.pipeline)))
        if warming_up != model.warming_up:
            model.warming_up = warming_up
            model.make_train_function(force=True)
        self._logs = {}
        if warming_up:
            return
        prob_1, prob_2 = self.clean_probabilities(epoch)
        for i, prob in enumerate((prob_2, prob_1)):  # co-divide: each trains on the other's
            labelled = prob > self.p_threshold
            self.pipeline.set_division(i, labelled, prob)
            self._logs[f"labelled_{i + 1}"] = float(np.mean(labelled))
            if labelled.any():
                self._logs[f"label_precision_{i + 1}"] = float(np.mean(~self.is_noisy[labelled]))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self._logs)
