"""sweepdeck: hyperparameter sweeps for PyTorch, from the terminal.

The repository keeps its rooms at the top (engine/, tui/, prompts/); installed,
they are this package's subpackages: sweepdeck.engine, sweepdeck.tui and
sweepdeck.prompts (see pyproject.toml), so `sweepdeck` is the only name claimed.
"""
