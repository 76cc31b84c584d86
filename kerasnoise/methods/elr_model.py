"""ELR as one Keras model: a network and its ``(N, K)`` per-example targets.

:class:`ELRModel` *is* its network (``call``, ``predict``, ``evaluate``, the saved
model); in training its :meth:`ELRModel.compute_loss` adds ELR's regulariser
(:func:`kerasnoise.methods.elr.elr_terms`) to the compiled loss and writes the batch's
updated targets into a non-trainable weight, so they are saved with the model and a
resumed run continues with them.  Training labels are ``(B, 3)`` rows ``[label, clean,
index]`` (``kerasnoise.pipelines.TrainPipeline(indices=True)``); plain ``(B,)`` labels
(evaluation) get the compiled loss alone.  No ``train_step`` of its own: the same on
TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import keras
from keras import ops

from kerasnoise.methods import elr

__all__ = ["ELRModel"]


@keras.saving.register_keras_serializable(package="kerasnoise")
class ELRModel(keras.Model):
    """A network trained with early-learning regularisation (Liu et al., NeurIPS 2020).

    Args:
        network: the Keras model (logits out).
        num_examples: N, the training examples (rows of the targets).
        beta: the targets' momentum, in [0, 1).
        elr_lambda: the regulariser's weight, >= 0.

    The history adds ``elr_regulariser``, the epoch's mean of the (unweighted) term
    ``mean(log(1 - <t_i, p_i>))``.
    """

    def __init__(
        self, network, num_examples: int, beta: float = 0.7, elr_lambda: float = 3.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.network = network
        self.num_examples = int(num_examples)
        self.beta = float(beta)
        self.elr_lambda = float(elr_lambda)
        if self.num_examples < 1:
            raise ValueError(f"num_examples must be >= 1, got {num_examples!r}")
        if not 0 <= self.beta < 1:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}")
        if not self.elr_lambda >= 0:
            raise ValueError(f"elr_lambda must be >= 0, got {elr_lambda!r}")
        classes = network.output_shape[-1]
        self.targets = self.add_weight(
            shape=(self.num_examples, classes),
            initializer="zeros",
            trainable=False,
            name="targets",
        )
        self.regulariser = keras.metrics.Mean(name="elr_regulariser")
        self.built = True

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y is None or len(y.shape) != 2:  # evaluation: the compiled loss
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        labels, index = y[:, 0], ops.cast(y[:, 2], "int32")
        loss = super().compute_loss(x, labels, y_pred, sample_weight, training=training)
        rows = ops.take(self.targets, index, axis=0)
        new, term = elr.elr_terms(y_pred, rows, self.beta)
        self.targets.assign(ops.scatter_update(self.targets, ops.expand_dims(index, -1), new))
        self.regulariser.update_state(term)
        return loss + ops.cast(self.elr_lambda * term, loss.dtype)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        training = y is not None and len(y.shape) == 2
        result = super().compute_metrics(x, y[:, 0] if training else y, y_pred, sample_weight)
        return result if training else {k: v for k, v in result.items() if k != "elr_regulariser"}

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "network": keras.saving.serialize_keras_object(self.network),
            "num_examples": self.num_examples,
            "beta": self.beta,
            "elr_lambda": self.elr_lambda,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> ELRModel:
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(
            config["network"], custom_objects=custom_objects
        )
        return cls(**config)
