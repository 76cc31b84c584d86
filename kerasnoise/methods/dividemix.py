"""DivideMix (Li, Socher, Hoi, ICLR 2020) as a training method, through the same door as
a user's method (:mod:`kerasnoise.methods`): ``method=dividemix``.

Two networks warm up on cross-entropy; then, every epoch, each divides the training set
by a two-component Gaussian mixture on its per-example loss
(:mod:`kerasnoise.methods.division`) into a labelled (probably clean) and an
unlabelled part, and the *other* network trains on that division by MixMatch with
label refinement and co-guessing (:mod:`kerasnoise.methods.mixmatch`).  The model is
:class:`kerasnoise.methods.dividemix_model.DivideMix`, the division
:class:`kerasnoise.methods.dividemix_model.CoDivide`, and the training pipeline
:class:`kerasnoise.pipelines.divided.DividedPipeline` (this method's
:meth:`~kerasnoise.methods.Method.train_pipeline`).

Parameters (``method.<name>``), the authors' CIFAR-10 values by default:

- ``warm_up`` (10): epochs of cross-entropy first (30 for CIFAR-100);
- ``p_threshold`` (``"authors"``: 0.5, 0.6 at a noise rate >= 0.9): the clean
  probability above which an example is labelled, in (0, 1);
- ``lambda_u`` (``"authors"``: 0 under asymmetric / pair-flip noise and at a rate
  below 0.5, 25 from 0.5, 50 from 0.9): the unlabelled loss's weight, >= 0;
- ``T`` (0.5): the sharpening temperature, > 0;
- ``alpha`` (4): the mixup's Beta(alpha, alpha), > 0;
- ``penalty`` (``"authors"``: under ``asymmetric`` and ``pair_flip`` noise): the
  negative-entropy penalty in the warm-up;
- ``padding`` (4): the views' random crop, in pixels of zero padding (the authors'
  CIFAR crop); 0: no crop (an MLP on MNIST is not translation invariant:
  ``docs/papers.md``, DivideMix).

Importing this module imports no Keras.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from kerasnoise.methods.base import Method, register

__all__ = ["DivideMixMethod", "resolved"]

AUTHORS = "authors"
#: Noise models the authors' "asymmetric" rules apply to (class-to-class flips).
ASYMMETRIC = ("asymmetric", "pair_flip")


def _rate(noise: dict, param: str) -> float:
    rate = noise.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise ValueError(
            f"method.{param}='authors' follows the noise's rate, and noise "
            f"{noise.get('name')!r} has none: set method.{param} to a number"
        )
    return float(rate)


def resolved(params: dict, noise: dict) -> dict:
    """The parameters with the authors' rules replaced by their values for ``noise``
    (the config's noise section); raises ``ValueError`` naming ``method.<param>`` for a
    value out of range."""
    out = dict(params)
    name = noise.get("name")
    asymmetric = name in ASYMMETRIC
    if out["lambda_u"] == AUTHORS:
        rate = 0.0 if asymmetric else _rate(noise, "lambda_u")
        out["lambda_u"] = 0.0 if rate < 0.5 else 25.0 if rate < 0.9 else 50.0
    if out["p_threshold"] == AUTHORS:
        out["p_threshold"] = 0.6 if not asymmetric and _rate(noise, "p_threshold") >= 0.9 else 0.5
    if out["penalty"] == AUTHORS:
        out["penalty"] = asymmetric
    _number(out, "p_threshold", lambda v: 0 < v < 1, "a number in (0, 1) or 'authors'")
    _number(out, "lambda_u", lambda v: v >= 0, "a number >= 0 or 'authors'")
    _number(out, "T", lambda v: v > 0, "a number > 0")
    _number(out, "alpha", lambda v: v > 0, "a number > 0")
    warm_up = out["warm_up"]
    if isinstance(warm_up, bool) or not isinstance(warm_up, numbers.Integral) or warm_up < 0:
        raise ValueError(f"method.warm_up must be an integer >= 0, got {warm_up!r}")
    padding = out["padding"]
    if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or padding < 0:
        raise ValueError(f"method.padding must be an integer >= 0, got {padding!r}")
    if not isinstance(out["penalty"], bool):
        raise ValueError(f"method.penalty must be true, false or 'authors', got {out['penalty']!r}")
    return out


def _number(params: dict, key: str, ok: Callable[[float], bool], allowed: str) -> None:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not ok(float(value)):
        raise ValueError(f"method.{key} must be {allowed}, got {value!r}")
    params[key] = float(value)


class DivideMixMethod(Method):
    """DivideMix: co-divide by a Gaussian mixture on the loss, MixMatch on the other
    network's division (see :mod:`kerasnoise.methods.dividemix` for the parameters,
    docs/papers.md for where it differs from the authors' code)."""

    name = "dividemix"
    defaults = {
        "warm_up": 10,
        "p_threshold": AUTHORS,
        "lambda_u": AUTHORS,
        "T": 0.5,
        "alpha": 4.0,
        "penalty": AUTHORS,
        "padding": 4,
    }

    def chosen(self, config: Any) -> dict:
        """The parameters for ``config``'s noise, rules resolved."""
        return resolved(self.params, dict(config.noise))

    def check(self, config: Any) -> None:
        self.chosen(config)
        loss = config.loss.get("name") if isinstance(config.loss, dict) else config.loss
        if loss != "ce":
            raise ValueError(
                "method 'dividemix' trains on its own cross-entropy and MixMatch losses: "
                f"loss must be ce, got {loss!r}"
            )
        if config.distribution != "none":
            raise ValueError(
                "method 'dividemix' mixes and averages over the whole batch and feeds its "
                f"own two-network pipeline, which distribution={config.distribution!r} "
                "would split across devices: use distribution='none'"
            )
        if config.optimizer.global_clipnorm is not None:
            raise ValueError(
                "method 'dividemix' trains two networks with one optimizer, and "
                "optimizer.global_clipnorm would clip their gradients together: use "
                "optimizer.clipnorm (per variable) or no clipping"
            )
        if config.noise.get("name") == "additive":
            raise ValueError(
                "method 'dividemix' divides one noisy label per image; noise 'additive' "
                "adds extra examples that its pipeline cannot serve: use another noise"
            )
        if config.eval_every_steps is not None:
            raise ValueError(
                "method 'dividemix' re-divides the training set every epoch of one pass; "
                f"eval_every_steps={config.eval_every_steps!r} is not supported: leave it unset"
            )

    def saved_objects(self) -> dict:
        from kerasnoise.methods import dividemix_model

        return {"DivideMix": dividemix_model.DivideMix}

    def build_model(self, network: Callable[[], Any], config: Any) -> Any:
        from kerasnoise.methods import dividemix_model

        chosen = self.chosen(config)
        return dividemix_model.DivideMix(
            network(),
            network(),
            warm_up=chosen["warm_up"],
            lambda_u=chosen["lambda_u"],
            temperature=chosen["T"],
            alpha=chosen["alpha"],
            penalty=chosen["penalty"],
            seed=config.seed,
            name="dividemix",
        )

    def train_pipeline(self, config: Any, run_data: Any) -> Any:
        from kerasnoise.pipelines.divided import DividedPipeline

        info = run_data.data.info
        chosen = self.chosen(config)
        return DividedPipeline(
            run_data.data.x_train,
            run_data.built.noise,
            batch_size=config.batch_size,
            seed=config.seed,
            mean=info.mean,
            std=info.std,
            padding=chosen["padding"],
        )

    def callbacks(self, config: Any, run_data: Any) -> list:
        from kerasnoise import pipelines
        from kerasnoise.methods import dividemix_model

        data, noise = run_data.data, run_data.built.noise
        images = pipelines.eval_pipeline(
            data.x_train,
            noise.labels,
            batch_size=config.eval_batch_size,
            mean=data.info.mean,
            std=data.info.std,
            num_classes=data.info.num_classes,
        )
        return [
            dividemix_model.CoDivide(
                run_data.train,
                images,
                noise.labels,
                noise.is_noisy,
                self.chosen(config)["p_threshold"],
                config.seed,
            )
        ]


register("dividemix", DivideMixMethod)
