"""The allowed values of the config's choices (optimizers, schedules, precisions, ...).

What :mod:`kerasnoise.config.validation` checks a config's choices against; ``SELECT_ON``
and ``NOISE_SEED_PER_RUN`` are also read by the commands that write configs.
"""

OPTIMIZERS = ("adam", "adadelta", "adagrad", "sgd")
VALIDATION_LABELS = ("clean", "noisy")
#: What a learning-rate choice is made on (``--select-on``) -> the runs' ``validation_labels``.
SELECT_ON = {"noisy-validation": "noisy", "clean-validation": "clean"}
#: ``noise_seed`` that draws the noise anew for every training seed.
NOISE_SEED_PER_RUN = "seed"
SCHEDULES = ("constant", "exponential", "multistep", "linear")
DECAY_MODES = ("coupled", "coupled_after_clip", "decoupled")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")
#: How pixels reach the model: ``standardize`` ``(x / 255 - mean) / std`` per channel
#: (the data set's statistics), ``unit`` ``x / 255`` in [0, 1].
INPUT_SCALES = ("standardize", "unit")
