"""What a training method is, and how a run finds it by name.

A **training method** is how a run chooses, weighs or relabels its examples while it
trains — sample selection (Co-teaching), co-regularisation, semi-supervised relabelling
— as opposed to the loss it minimises.  A config names one in its ``method`` section,
``{"name": ..., **params}`` (``method=coteaching method.forget_rate=0.2`` on a command
line); plain training is the method ``standard``.

A method is a subclass of :class:`Method`, registered by name with :func:`register` (or
installed as the entry point group ``kerasnoise.methods``).  The training runner knows
no method: it constructs the config's one with its parameters and calls its hooks, in
this order, for every run (``kerasnoise.training.train``):

1. :meth:`Method.check` — the method against the rest of the config, before any data
   loads and before Keras is imported (``kerasnoise train`` refuses a bad value at once);
2. :meth:`Method.needs` — what the pipeline must give it (:class:`PipelineNeeds`);
3. :meth:`Method.use_data` — the run's data, once built (the number of training
   examples, for a per-example state);
4. :meth:`Method.train_pipeline` — the training pipeline ``fit`` trains on (default:
   the run's :class:`kerasnoise.pipelines.TrainPipeline`; DivideMix gives its own,
   labelled and unlabelled batches in two views);
5. :meth:`Method.build_model` — the Keras model ``fit`` trains, from a factory of the
   config's network: one network, or several inside one model whose
   ``compute_loss`` holds the method's rule in ``keras.ops`` (the one override that is
   the same on every backend; ``train_step`` is not);
6. :meth:`Method.callbacks` — its per-epoch schedules and evaluations (what they log
   lands in the run's history and, as ``<key>_last``, in its result record).

Before these, two optional hooks give a method an **earlier stage**: another run it
needs first (Patrini et al.'s cross-entropy run whose softmax estimates T).
:meth:`Method.earlier_stage` returns that run's config; the runner trains it, or finds
it finished by its run id and reuses it, and hands it back as an :class:`EarlierStage`
to :meth:`Method.use_earlier_stage`.  :meth:`Method.loss_section` then says which loss
parameters the run compiles with, and what they add to its result record.

:meth:`Method.identity` says which of its parameters name the run (its run id).

Reference points (``../shared/reference/method-api-anchors.md``): noisypy's
LightningModule per method, USB's algorithm registry and hooks, Keras's
``compute_loss`` and callbacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from kerasnoise.registry import Registry, normalize

__all__ = [
    "EarlierStage",
    "Method",
    "PipelineNeeds",
    "Standard",
    "STANDARD",
    "UnknownParameterError",
    "available",
    "from_config",
    "get",
    "has",
    "register",
]

#: The method section of a config that trains plainly (the default).
STANDARD = {"name": "standard"}


class UnknownParameterError(TypeError, ValueError):
    """A method constructed with a parameter it does not have (``method.<param>``): a
    ``TypeError`` like a loss's or a model's unknown keyword, and a ``ValueError`` like
    any other bad value of a config."""


@dataclasses.dataclass(frozen=True)
class PipelineNeeds:
    """What a method needs from the training pipeline.

    Attributes:
        clean_flags: training labels as ``(B, 2)`` pairs ``[label, clean]`` (``clean``
            is 1 where the label is right), for metrics such as the label precision of
            the examples a method picks (``kerasnoise.pipelines.TrainPipeline``).
        indices: training labels as ``(B, 3)`` rows ``[label, clean, index]``, ``index``
            the example's position in the training set (``0 .. N - 1``, the same
            example every epoch), for a per-example state such as ELR's targets.
    """

    clean_flags: bool = False
    indices: bool = False


@dataclasses.dataclass(frozen=True)
class EarlierStage:
    """A finished run that a method asked for (:meth:`Method.earlier_stage`), as the
    training runner hands it back to :meth:`Method.use_earlier_stage`.

    Attributes:
        config: the earlier run's config.
        run_id: its run id (found finished in the output folder and reused, or trained).
        run_dir: its run directory (``model.keras``, ``result.json``, ``history.json``).
        record: its result record.
        predict: ``predict()`` -> its saved model's logits on every training image,
            ``(N, K)`` float64, computed in a Keras state of its own (the run that asked
            draws the same initial weights as without it).
        noisy_labels: ``noisy_labels()`` -> the ``(N,)`` training labels it trained on.
    """

    config: Any
    run_id: str
    run_dir: Any
    record: Mapping[str, Any]
    predict: Callable[[], Any]
    noisy_labels: Callable[[], Any]


class Method:
    """Base class of every training method, ours and plug-ins; on its own, plain
    training (one network, every example, the compiled loss).

    A subclass sets :attr:`defaults` (its parameters and their default values: what a
    config's ``method.<param>`` may set) and overrides the hooks it needs.  The
    constructor takes the config's parameters; an unknown one is an
    :class:`UnknownParameterError` (a ``TypeError``, as every kind's ``get`` raises for
    a bad parameter, and a ``ValueError``, as every config check raises)
    listing the allowed ones.  ``self.given`` holds the parameters as the config wrote
    them, ``self.params`` with the defaults filled in.

    Hooks receive the run's :class:`kerasnoise.config.ExperimentConfig` (``config``)
    and, once the data is built, its ``run_data`` (``kerasnoise.training.RunData``:
    ``data`` the data set, ``built`` its pipelines and ``built.noise`` the noise that
    was drawn, ``scored_images``).
    """

    #: The method's name; a class that sets none takes the name it is registered under.
    name: str = ""
    #: The parameters a config may set, with their defaults.
    defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            allowed = ", ".join(self.defaults) or "none"
            raise UnknownParameterError(
                f"unknown parameter method.{unknown[0]} for method "
                f"{self.name or type(self).__name__!r}; "
                f"allowed: {allowed}"
            )
        self.given = dict(params)
        self.params = {**self.defaults, **params}

    # ------------------------------------------------------------------ hooks

    def check(self, config: Any) -> None:
        """Check the method against the rest of ``config`` (noise, loss, distribution,
        optimizer); raise ``ValueError``/``TypeError`` naming the key and the allowed
        values.  Runs before any data loads: touch no data, import no Keras."""

    def earlier_stage(self, config: Any) -> Any:
        """The config of a run this run needs first, or ``None`` (the default).  The
        runner trains it in the same output folder (or finds it finished, by its run
        id) before this run starts, and passes it to :meth:`use_earlier_stage`."""
        return None

    def use_earlier_stage(self, config: Any, stage: EarlierStage) -> None:
        """Take what the run needs from its finished earlier stage (an
        :class:`EarlierStage`); called once, before the run's data and model exist."""

    def loss_section(self, config: Any, noise: Any) -> tuple[dict, dict]:
        """The loss section the run compiles with, ``{"name": ..., **params}``, and what
        it adds to the run's result record, once the run's ``noise`` (its
        :class:`kerasnoise.noise.NoiseResult`) is drawn.  Default: the config's own,
        nothing added (the loss itself may still read the noise:
        ``loss.transition="oracle"``, :func:`kerasnoise.losses.for_run`)."""
        return dict(config.loss), {}

    def needs(self, config: Any) -> PipelineNeeds:
        """What the training pipeline must give (:class:`PipelineNeeds`)."""
        return PipelineNeeds()

    def use_data(self, config: Any, run_data: Any) -> None:
        """Take what the model needs from the run's data once it is built, before
        :meth:`build_model` (``run_data.built.noise.num_examples``: the size of a
        per-example state, such as ELR's targets).  Default: nothing."""

    def build_model(self, network: Callable[[], Any], config: Any) -> Any:
        """The Keras model ``fit`` trains.  ``network()`` builds one fresh network of
        the config (its model, classes, weight decay), drawing its initial weights from
        the run's seed in call order.  Evaluation (validation, test accuracy,
        ``predict``) scores this model: a several-network model returns the network it
        reports outside training."""
        return network()

    def train_pipeline(self, config: Any, run_data: Any) -> Any:
        """The training pipeline ``fit`` trains on, once the data is built: by default the
        run's :class:`kerasnoise.pipelines.TrainPipeline` (``run_data.built.train``).
        A method that needs other batches returns an object with the same interface:
        ``for_fit()`` (what ``model.fit`` is given on the active backend),
        ``epoch_callback()`` (a callback that sets the epoch at each epoch's start),
        ``len()`` (steps per epoch), ``examples_per_epoch`` and ``fit_feed`` (the feed's
        name, for the run record).  The run holds it as ``run_data.train`` (what
        :meth:`callbacks` sees)."""
        return run_data.built.train

    def saved_objects(self) -> dict:
        """The Keras classes, by name, that :meth:`build_model`'s model needs to load
        from its saved ``model.keras`` (``kerasnoise eval`` passes them to
        ``keras.saving.load_model``): those of a model class of the method's own.
        Default: none (one network of the config)."""
        return {}

    def callbacks(self, config: Any, run_data: Any) -> list:
        """Keras callbacks the method runs with (its schedules, its own evaluations);
        appended after the library's instruments."""
        return []

    def identity(self, noise: Mapping[str, Any]) -> dict | None:
        """The part of the method that names a run (its run id), under ``noise``:
        ``{"name": ..., **parameters as written}``; ``None`` for plain training.  A
        method whose parameter can be written two ways for the same run (a rule that
        gives a number) returns one of them."""
        return {"name": self.name, **self.given}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.given.items())
        return f"{type(self).__name__}({params})"


class Standard(Method):
    """Plain training: one network on every example with the compiled loss."""

    name = "standard"

    def identity(self, noise: Mapping[str, Any]) -> None:
        return None


def _check(name: str, obj: Any) -> Any:
    if not (isinstance(obj, type) and issubclass(obj, Method)):
        raise TypeError(
            f"a method must be a subclass of kerasnoise.methods.Method, got {obj!r} for {name!r}"
        )
    return obj


_REGISTRY = Registry(
    "method",
    "kerasnoise.methods",
    # "none": the name plain training had as a ``selection``, before methods were a
    # component (committed configs say it)
    {"standard": Standard, "none": Standard},
    check=_check,
)


def register(name: str, cls: type[Method] | None = None, /, *, replace: bool = False) -> Any:
    """Register a :class:`Method` subclass under ``name`` (a decorator without ``cls``).

    Raises:
        ValueError: ``name`` exists and ``replace`` is false.
        TypeError: ``cls`` is not a :class:`Method` subclass.
    """
    return _REGISTRY.register(name, cls, replace=replace)


def get(name: str, /, **params: Any) -> Method:
    """The method registered as ``name`` (plug-ins included), constructed with its
    parameters (``get("coteaching", forget_rate=0.2)``); a class that sets no ``name``
    takes the registered one.

    Raises:
        ValueError: an unknown method (the message lists the available ones).
        UnknownParameterError: an unknown parameter (a ``TypeError`` and a
            ``ValueError``; the message lists the allowed ones).
    """
    method = _REGISTRY.get(name)(**params)
    if not method.name:
        method.name = normalize(name)
    return method


def available() -> list[str]:
    """Every method name: ours, those registered in code, then installed plug-ins'."""
    return _REGISTRY.available()


def has(name: str) -> bool:
    """Whether ``name`` names a method (an entry point is not imported to answer)."""
    return _REGISTRY.has(name)


def from_config(section: Any) -> Method:
    """The method a config's ``method`` section names, constructed with its parameters.

    Raises:
        TypeError: ``section`` is not a mapping with a ``name``.
        ValueError: an unknown method (the message lists the available ones) or
            parameter (the message lists the allowed ones).
    """
    if not isinstance(section, Mapping) or "name" not in section:
        raise TypeError(f"method must be a mapping with a 'name' key, got {section!r}")
    return get(section["name"], **{k: v for k, v in section.items() if k != "name"})
