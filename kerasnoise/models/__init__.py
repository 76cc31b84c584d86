"""The papers' models, built from Keras layers so they run on every backend, and the
registry that finds a model by name (ours, registered in code, or an installed plug-in).

All builders take ``input_shape`` and ``num_classes`` and return an uncompiled
``keras.Model`` that outputs **logits**; the last layer computes in float32, so
the logits are float32 under a ``mixed_float16`` / ``mixed_bfloat16`` policy.

What is where (everything public is importable from here, ``models.conv4``):

- :mod:`~kerasnoise.models.common`: what the builders share: argument checks, the
  initialisations (``init=glorot|torch|he_normal``, :data:`INITS`), the coupled weight
  decay (and how it differs from the optimizer's decoupled one), the float32 logits head;
- :mod:`~kerasnoise.models.data_format`: :func:`resolve_data_format` (the layout a
  convolutional model computes in, per backend) and :func:`data_format_of`;
- :mod:`~kerasnoise.models.mlp`: :func:`mlp` and Rolnick et al.'s :func:`perceptron`,
  :func:`mlp1`, :func:`mlp2`, :func:`mlp4` (Patrini et al.'s network is an :func:`mlp`);
- :mod:`~kerasnoise.models.cnn`: Rolnick et al.'s :func:`conv4`, the Co-teaching code's
  :func:`coteaching_cnn` (Han et al.), Menon et al.'s :func:`lenet5`;
- :mod:`~kerasnoise.models.resnet`: Menon et al.'s CIFAR :func:`resnet18` and
  :func:`resnet50`, both a :func:`cifar_resnet`;
- here: the registry: :func:`register`, :func:`get` (a built model), :func:`available`,
  :func:`has`, and :func:`builder` (the unbuilt function, to read its parameters).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import keras

from kerasnoise.models.cnn import conv4, coteaching_cnn, lenet5
from kerasnoise.models.common import INITS, coupled_decay
from kerasnoise.models.data_format import DATA_FORMATS, data_format_of, resolve_data_format
from kerasnoise.models.mlp import mlp, mlp1, mlp2, mlp4, perceptron
from kerasnoise.models.resnet import cifar_resnet, resnet18, resnet50
from kerasnoise.registry import Registry

__all__ = [
    "perceptron",
    "mlp",
    "mlp1",
    "mlp2",
    "mlp4",
    "conv4",
    "coteaching_cnn",
    "lenet5",
    "resnet18",
    "resnet50",
    "cifar_resnet",
    "available",
    "builder",
    "get",
    "has",
    "register",
    "RUNNER_ARGUMENTS",
    "DATA_FORMATS",
    "INITS",
    "resolve_data_format",
    "data_format_of",
]

#: The arguments every builder is given by the runner, not by a config's ``model.*``.
RUNNER_ARGUMENTS = ("input_shape", "num_classes", "weight_decay")


def _check_plugin(name: str, builder: Any) -> Callable[..., keras.Model]:
    """A plug-in model is a callable taking ``input_shape`` and ``num_classes``."""
    if not callable(builder):
        raise TypeError(f"a model must be a function returning a keras.Model, got {builder!r}")
    try:
        inspect.signature(builder).bind_partial(input_shape=(1,), num_classes=2)
    except TypeError:
        raise TypeError(
            f"model {name!r}: the builder must take the keyword arguments input_shape and "
            f"num_classes, got {builder.__qualname__}{inspect.signature(builder)}"
        ) from None
    except ValueError:  # a builtin without a signature: trust it
        pass
    return builder


_REGISTRY = Registry(
    "model",
    "kerasnoise.models",
    {
        "perceptron": perceptron,
        "mlp1": mlp1,
        "mlp2": mlp2,
        "mlp4": mlp4,
        "mlp": mlp,
        "conv4": conv4,
        "lenet5": lenet5,
        "resnet18": resnet18,
        "resnet50": resnet50,
        "coteaching_cnn": coteaching_cnn,
    },
    check=_check_plugin,
)


def register(
    name: str, builder: Callable[..., keras.Model] | None = None, /, *, replace: bool = False
):
    """Make a model builder available by name to :func:`get`, configs (``model=NAME``,
    ``model.PARAM=...``), sweeps, experiments and ``kerasnoise train``.

    A decorator, or a plain call::

        @models.register("small_cnn")
        def small_cnn(input_shape, num_classes, width=32): ...

        models.register("small_cnn", small_cnn)

    The contract: ``builder(input_shape, num_classes, **params) -> keras.Model``, an
    uncompiled model whose input is ``(H, W, C)`` images (standardised floats) and whose
    output is ``num_classes`` logits; ``params`` are the config's ``model.*`` values.
    The runner also passes ``weight_decay`` (the config's coupled decay, or ``None``)
    to a builder that takes it (by name or ``**kwargs``); for one that does not, the
    runner adds that decay itself, as ``wd / 2 * ||w||^2`` on every trainable weight
    without a regulariser of its own (see :func:`get`).  Our other settings (layout,
    initialisation) are parameters of our builders only: a plug-in has whatever
    parameters it declares.  Layers of its own must be registered with
    ``keras.saving.register_keras_serializable`` for the saved ``.keras`` model to load.

    Args:
        name: the model's name (case-insensitive, ``-`` counts as ``_``).
        builder: the function; omitted, ``register`` returns a decorator.
        replace: whether ``name`` may replace a model that exists (ours included).

    Returns:
        ``builder``, unchanged (or the decorator).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``builder`` does not take ``input_shape`` and ``num_classes``.
    """
    return _REGISTRY.register(name, builder, replace=replace)


def available() -> list[str]:
    """Names accepted by :func:`get` (registered models and installed plug-ins included)."""
    return _REGISTRY.available()


def has(name: Any, /) -> bool:
    """Whether ``name`` names a model, by :func:`get`'s rule (case-insensitive, ``-`` for
    ``_``; installed plug-ins included, an entry point is not imported to answer)."""
    return _REGISTRY.has(name)


def builder(name: str, /) -> Callable[..., keras.Model]:
    """The function that builds the model ``name``, not called (a plug-in's is imported
    first).

    :func:`get` builds the model; this is for what needs the function itself: reading
    its parameters without building anything (config validation binds ``model.*``
    against its signature), or importing a plug-in before ``keras.saving.load_model``
    (``kerasnoise eval``), so that its layers are registered with Keras.

    Raises:
        ValueError: unknown name (the message lists the available ones).
        kerasnoise.registry.PluginError: the name's plug-in failed to import.
    """
    return _REGISTRY.get(name)


def _takes(function: Callable[..., Any], argument: str) -> bool:
    """Whether ``function`` accepts the keyword ``argument`` (by name or ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except ValueError:  # no signature to read
        return True
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == argument and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def get(name: str, /, **params: Any) -> keras.Model:
    """A model by name, built: ``get("conv4", input_shape=(28, 28, 1), num_classes=10)``.

    A name that is neither ours nor registered is looked up among the installed
    plug-ins (entry-point group ``kerasnoise.models``).  ``weight_decay`` goes to a
    builder that takes it; a builder that does not is given the same coupled decay
    afterwards: an L2 regulariser ``wd / 2`` on every trainable weight that has none.

    Raises:
        ValueError: unknown name (the message lists the available ones).
        TypeError: a parameter the builder does not take (the message names the model),
            or a builder that returns no ``keras.Model``.
        kerasnoise.registry.PluginError: the name's plug-in failed to import.
    """
    function = builder(name)
    decay = params.get("weight_decay")
    if not _takes(function, "weight_decay"):
        params.pop("weight_decay", None)
    else:
        decay = None  # the builder applies it
    model = _REGISTRY.build(name, params)
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model {name!r}: the builder returned {type(model).__name__}, not a keras.Model"
        )
    regularizer = coupled_decay(decay)
    if regularizer is not None:
        for variable in model.trainable_weights:
            if variable.regularizer is None:
                variable.regularizer = regularizer
    return model
