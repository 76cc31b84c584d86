"""What a run measures of its noisy labels, from a model's predictions (NumPy):

- :func:`noise_subset_metrics`: accuracy on the clean and on the noisy training
  examples, and how many wrong labels the model has memorised;
- :func:`detection_metrics`: how well the model's loss finds the wrong labels
  (precision, recall and F1 of flagging the largest losses; the CIFAR-N benchmark's F1);
- :func:`predict_classes`: a model's predicted class per example of a data set.

:class:`kerasnoise.callbacks.NoiseAwareEvaluation` logs them every epoch;
``kerasnoise eval`` computes them again for a saved run.
"""

from __future__ import annotations

import numpy as np

from kerasnoise import noise as noise_lib

__all__ = ["detection_metrics", "noise_subset_metrics", "predict_classes"]


def predict_classes(model, dataset) -> np.ndarray:
    """The argmax of ``model.predict(dataset)``, per example."""
    return np.argmax(model.predict(dataset, verbose=0), axis=-1)


def noise_subset_metrics(
    predicted: np.ndarray, noise: noise_lib.NoiseResult, images: np.ndarray | None = None
) -> dict:
    """Accuracy of per-image predictions on the clean and the noisy training examples.

    Args:
        predicted: predicted class of each training image, or of the images listed
            in ``images`` (in that order).
        noise: what the noise did; example ``j`` shows image ``noise.image_index(j)``.
        images: indices of the training images that were predicted (default: all N).

    Returns ``train_clean_accuracy`` (clean examples, against their label),
    ``train_noisy_accuracy`` (noisy examples against their TRUE label) and
    ``train_noisy_memorised`` (noisy examples against their WRONG label), over the
    examples whose image was predicted; ``None`` where a subset is empty.  Extra
    images from another array have no true class and are left out.
    """
    per_image = np.full(noise.num_clean, -1)
    per_image[slice(None) if images is None else images] = predicted
    index = np.arange(noise.num_examples)
    known = noise.true_labels >= 0
    pred = np.full(noise.num_examples, -1)
    pred[known] = per_image[noise.image_index(index[known])]
    scored = known & (pred >= 0)
    clean, noisy = scored & ~noise.is_noisy, scored & noise.is_noisy

    def rate(mask, target):
        return float(np.mean(pred[mask] == target[mask])) if mask.any() else None

    return {
        "train_clean_accuracy": rate(clean, noise.true_labels),
        "train_noisy_accuracy": rate(noisy, noise.true_labels),
        "train_noisy_memorised": rate(noisy, noise.labels),
    }


def detection_metrics(
    logits: np.ndarray, noise: noise_lib.NoiseResult, images: np.ndarray | None = None
) -> dict:
    """How well the model's loss finds the wrong labels (the CIFAR-N benchmark's F1).

    Flags the scored training examples with the largest cross-entropy against their
    given label, as many as the realised noise rate says (``round(rate * n)``), and
    scores the flags against the true corruption: ``detection_precision`` (flagged
    examples that are noisy), ``detection_recall`` (noisy examples flagged) and
    ``detection_f1``.  Replacement noise only (one example per image): ``{}`` for
    additive noise, whose extra examples reuse images, and when no label is noisy.

    Args:
        logits: ``(n, K)`` outputs on the training images ``images`` (default: all N).
        noise: what the noise did.
        images: indices of the scored training images, in ``logits``' order.
    """
    if noise.alpha or not noise.is_noisy.any():
        return {}
    index = np.arange(noise.num_clean) if images is None else np.asarray(images)
    given = noise.labels[index]
    noisy = noise.is_noisy[index]
    from scipy.special import log_softmax  # here: importing us stays light

    log_p = log_softmax(np.asarray(logits, dtype=np.float64), axis=1)
    loss = -log_p[np.arange(len(given)), given]
    k = int(round(noise.rate * len(given)))
    flagged = np.zeros(len(given), bool)
    flagged[np.argsort(-loss, kind="stable")[:k]] = True
    hits = int(np.sum(flagged & noisy))
    precision = hits / k if k else 0.0
    recall = hits / int(noisy.sum()) if noisy.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"detection_precision": precision, "detection_recall": recall, "detection_f1": f1}
