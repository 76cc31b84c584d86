"""kerasnoise: learning with noisy labels in Keras 3, on TensorFlow, JAX and PyTorch.

Modules, one idea each:

- :mod:`kerasnoise.datasets`  -- MNIST, Fashion-MNIST, CIFAR-10/100 from local files,
  ``keras.datasets`` or TensorFlow Datasets; seeded validation splits.
- :mod:`kerasnoise.noise`     -- named label-noise models that report what they did.
- :mod:`kerasnoise.pipelines` -- noisy ``tf.data`` pipelines for ``model.fit``.
- :mod:`kerasnoise.losses`    -- robust losses (CE, GCE, linear, PHuber, SCE, NCE+RCE, ...).
- :mod:`kerasnoise.models`    -- perceptron, MLP1/2/4, Conv4, LeNet-5, CIFAR ResNet-18/50.

Each of ``datasets``, ``noise``, ``losses`` and ``models`` takes a researcher's own
components by name: ``register(name)`` in code, or an installed package's entry points
(groups ``kerasnoise.datasets``, ``.noise``, ``.losses``, ``.models``; docs/extending.md).

Submodules load on first use, so ``import kerasnoise`` imports neither Keras nor
TensorFlow; choose the backend with ``KERAS_BACKEND`` before Keras is imported.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["datasets", "noise", "pipelines", "losses", "models", "__version__"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
