"""Co-teaching (Han et al., NeurIPS 2018) and Co-teaching+ (Yu et al., ICML 2019) as
training methods, through the same door as a user's method (:mod:`kerasnoise.methods`).

``method=coteaching`` / ``method=coteaching_plus`` with the parameters of
:data:`kerasnoise.methods.selection.METHODS` (``forget_rate``, a number or a rule, the ramp's
``num_gradual`` and ``exponent``, Co-teaching+'s ``init_epoch``, ``fallback_steps``,
``softmax_twice`` and ``authors_code``).  The rule per batch is
:func:`kerasnoise.methods.selection.coteaching_losses`; the two networks train inside one Keras
model, :class:`kerasnoise.methods.two_networks.CoTeaching`, whose ``compute_loss`` applies it on
every backend; the forget rate of each epoch comes from
:class:`kerasnoise.methods.two_networks.SelectionSchedule`, network 2's test accuracy from
:class:`kerasnoise.methods.two_networks.SecondNetworkEvaluation`.  The pipeline gives the clean
flags, for the label precision.  Importing this module imports no Keras: the model is
built when a run asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kerasnoise.methods import selection
from kerasnoise.methods.base import Method, PipelineNeeds, register

__all__ = ["CoTeachingMethod", "CoTeachingPlusMethod"]


class CoTeachingMethod(Method):
    """Co-teaching: two networks, each trained on the small-loss examples the other
    picked (see :mod:`kerasnoise.methods.selection` for the rule and where it differs from the
    authors' code)."""

    name = "coteaching"
    defaults = selection.METHODS["coteaching"]

    @property
    def section(self) -> dict:
        """The config section as :mod:`kerasnoise.methods.selection` reads it."""
        return {"name": self.name, **self.given}

    def check(self, config: Any) -> None:
        selection.check_config(
            self.section,
            config.noise,
            config.loss,
            config.distribution,
            global_clipnorm=config.optimizer.global_clipnorm,
        )

    def needs(self, config: Any) -> PipelineNeeds:
        return PipelineNeeds(clean_flags=True)

    def build_model(self, network: Callable[[], Any], config: Any) -> Any:
        from kerasnoise.methods import two_networks

        chosen = selection.resolved(self.section, config.noise)
        return two_networks.CoTeaching(
            network(),
            network(),
            plus=chosen["name"] == "coteaching_plus",
            fallback_steps=chosen.get("fallback_steps", 0),
            softmax_twice=chosen["softmax_twice"],
            authors_code=chosen.get("authors_code", False),
            name=chosen["name"],
        )

    def saved_objects(self) -> dict:
        from kerasnoise.methods import two_networks

        return {"CoTeaching": two_networks.CoTeaching}

    def callbacks(self, config: Any, run_data: Any) -> list:
        from kerasnoise.methods import two_networks

        chosen = selection.resolved(
            self.section, config.noise, realised_rate=run_data.built.noise.rate
        )
        rates = selection.forget_rate_schedule(
            config.epochs, chosen["forget_rate"], chosen["num_gradual"], chosen["exponent"]
        )
        return [
            two_networks.SelectionSchedule(rates, chosen.get("init_epoch", 0)),
            two_networks.SecondNetworkEvaluation(run_data.built.test, run_data.data.y_test),
        ]

    def identity(self, noise: Mapping[str, Any]) -> dict:
        return selection.identity(self.section, dict(noise))


class CoTeachingPlusMethod(CoTeachingMethod):
    """Co-teaching+: Co-teaching among the examples on which the two networks'
    predicted classes disagree."""

    name = "coteaching_plus"
    defaults = selection.METHODS["coteaching_plus"]


register("coteaching", CoTeachingMethod)
register("coteaching_plus", CoTeachingPlusMethod)
