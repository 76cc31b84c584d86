"""Learning-rate searches as commands: ``python -m tuning.lr_search --help``."""
