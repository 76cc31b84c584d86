"""keras-tuner, imported once with a clear error when the ``tuner`` extra is missing."""

try:
    import keras_tuner as kt
    from keras_tuner.engine.base_tuner import BaseTuner
except ImportError as _err:  # pragma: no cover - the extra is missing
    raise ImportError(
        "kerasnoise.search needs keras-tuner: pip install 'kerasnoise[tuner]'"
    ) from _err

__all__ = ["kt", "BaseTuner"]
